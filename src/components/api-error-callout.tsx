// A failed request shown as a readable callout: the server's message (field errors for bad input),
// never a stack.
import { Callout } from "@radix-ui/themes";

interface ApiErrorLike {
  message: string;
  data?: { code?: string; zodError?: { fieldErrors?: Record<string, string[] | undefined>; formErrors?: string[] } | null } | null;
}

function describe(error: ApiErrorLike): string {
  const z = error.data?.zodError;
  if (z) {
    const fields = Object.entries(z.fieldErrors ?? {}).map(([k, v]) => `${k}: ${(v ?? []).join(", ")}`);
    const all = [...(z.formErrors ?? []), ...fields];
    if (all.length) return all.join("; ");
  }
  return error.message.split("\n")[0] ?? error.message;
}

export function ApiErrorCallout({ error, title, testId = "api-error" }: { error: ApiErrorLike; title?: string; testId?: string }) {
  return (
    <Callout.Root color="red" role="alert" data-testid={testId}>
      <Callout.Text>
        {title ? <strong>{title}: </strong> : null}
        {describe(error)}
      </Callout.Text>
    </Callout.Root>
  );
}
