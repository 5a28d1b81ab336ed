// A grid column (one character per month, newest first) in monospace, with the placeholder
// characters that stand for "no value" marked so they cannot be mistaken for data.
import { Code, Flex, Text } from "@radix-ui/themes";

export function GridString({ name, value, placeholder }: { name: string; value: string; placeholder: string }) {
  const chars = [...value];
  const gaps = chars.filter((c) => c === placeholder).length;
  return (
    <Flex direction="column" gap="1" data-testid={`grid-${name}`}>
      <Code size="3" variant="soft" color="gray" style={{ letterSpacing: "0.08em", whiteSpace: "pre", overflowX: "auto", display: "block", padding: "6px 8px" }}>
        {chars.map((c, i) =>
          c === placeholder ? (
            <span key={i} data-placeholder="true" title={`position ${i}: no value (placeholder "${placeholder}")`} style={{ color: "var(--amber-11)", background: "var(--amber-a4)", borderRadius: 2 }}>
              {c}
            </span>
          ) : (
            <span key={i} title={`position ${i}: ${c}`}>
              {c}
            </span>
          ),
        )}
      </Code>
      <Text size="1" color="gray">
        {chars.length} characters, newest month first;{" "}
        <span style={{ color: "var(--amber-11)", background: "var(--amber-a4)", borderRadius: 2, padding: "0 3px", fontFamily: "var(--code-font-family)" }}>
          {placeholder}
        </span>{" "}
        marks a month without a value ({gaps} of {chars.length})
      </Text>
    </Flex>
  );
}
