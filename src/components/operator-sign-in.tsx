"use client";
// The header's role control: shows whether this browser is a viewer or the operator; operators sign
// in by pasting the operator token (kept in an httpOnly cookie by /api/session) and sign out here.
import { Badge, Button, Callout, Dialog, Flex, Text, TextField } from "@radix-ui/themes";
import { useState, type FormEvent } from "react";
import { useRole, useSession } from "@/hooks/use-session";

export function OperatorSignIn() {
  const { isOperator, isPending, tokenRejected } = useRole();
  const { signIn, signOut } = useSession();
  const [open, setOpen] = useState(false);
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(token.trim());
      setToken("");
      setOpen(false);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  async function leave() {
    setBusy(true);
    try {
      await signOut();
    } finally {
      setBusy(false);
    }
  }

  return (
    <Flex align="center" gap="2" ml="auto" pb="2" data-testid="session">
      <Badge color={isOperator ? "green" : "gray"} variant="soft" data-testid="session-role" title={tokenRejected ? "the operator token of this session is no longer accepted" : undefined}>
        {isPending ? "…" : isOperator ? "Operator" : "Viewer"}
      </Badge>
      {isOperator ? (
        <Button size="1" variant="soft" color="gray" onClick={() => void leave()} disabled={busy}>
          Sign out
        </Button>
      ) : (
        <Dialog.Root
          open={open}
          onOpenChange={(o) => {
            setOpen(o);
            setError(null);
          }}
        >
          <Dialog.Trigger>
            <Button size="1" variant="soft">
              Operator sign-in
            </Button>
          </Dialog.Trigger>
          <Dialog.Content maxWidth="440px">
            <Dialog.Title>Operator sign-in</Dialog.Title>
            <Dialog.Description size="2" mb="3">
              Paste the operator token (printed once when the server first started, or set as OPERATOR_TOKEN). Operators can
              launch, cancel and resume runs and edit the config.
            </Dialog.Description>
            <form onSubmit={(e) => void submit(e)}>
              <Flex direction="column" gap="3">
                <label>
                  <Text as="div" size="2" weight="medium" mb="1">
                    Operator token
                  </Text>
                  <TextField.Root
                    type="password"
                    autoComplete="off"
                    value={token}
                    onChange={(e) => setToken(e.target.value)}
                    placeholder="operator token"
                    aria-label="Operator token"
                    autoFocus
                  />
                </label>
                {error ? (
                  <Callout.Root color="red" size="1" role="alert">
                    <Callout.Text>{error}</Callout.Text>
                  </Callout.Root>
                ) : null}
                <Flex gap="3" justify="end">
                  <Dialog.Close>
                    <Button type="button" variant="soft" color="gray">
                      Cancel
                    </Button>
                  </Dialog.Close>
                  <Button type="submit" disabled={busy || token.trim() === ""}>
                    Sign in
                  </Button>
                </Flex>
              </Flex>
            </form>
          </Dialog.Content>
        </Dialog.Root>
      )}
    </Flex>
  );
}
