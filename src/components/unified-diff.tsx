// A unified diff (as the `diff` package writes it), one line per row: additions green, removals
// red, hunk headers muted; file headers become a caption.
import { Box, Flex, Text } from "@radix-ui/themes";
import type { CSSProperties } from "react";

type LineKind = "add" | "del" | "hunk" | "context" | "note";

function kindOf(line: string): LineKind {
  if (line.startsWith("@@")) return "hunk";
  if (line.startsWith("+")) return "add";
  if (line.startsWith("-")) return "del";
  if (line.startsWith("\\")) return "note";
  return "context";
}

const LINE_STYLE: Record<LineKind, CSSProperties> = {
  add: { background: "var(--green-a3)", color: "var(--green-12)" },
  del: { background: "var(--red-a3)", color: "var(--red-12)" },
  hunk: { color: "var(--gray-10)", background: "var(--gray-a2)" },
  context: { color: "var(--gray-12)" },
  note: { color: "var(--gray-10)", fontStyle: "italic" },
};

export function UnifiedDiff({ diff, testId = "unified-diff", maxHeight = 420 }: { diff: string; testId?: string; maxHeight?: number }) {
  const lines = diff.replace(/\n$/, "").split("\n");
  const headers = lines.filter((l) => l.startsWith("--- ") || l.startsWith("+++ "));
  const body = lines.filter((l) => !(l.startsWith("--- ") || l.startsWith("+++ ") || l.startsWith("Index: ") || /^=+$/.test(l)));
  const from = headers[0]?.split("\t")[1];
  const to = headers[1]?.split("\t")[1];
  let added = 0;
  let removed = 0;
  for (const l of body) {
    const k = kindOf(l);
    if (k === "add") added++;
    else if (k === "del") removed++;
  }
  return (
    <Flex direction="column" gap="2" data-testid={testId}>
      <Flex gap="3" align="center">
        {from && to ? (
          <Text size="1" color="gray">
            {from} → {to}
          </Text>
        ) : null}
        <Text size="1" color="green" data-testid="diff-added">
          +{added}
        </Text>
        <Text size="1" color="red" data-testid="diff-removed">
          −{removed}
        </Text>
      </Flex>
      {body.length === 0 ? (
        <Text size="2" color="gray">
          No changes.
        </Text>
      ) : (
        <Box
          asChild
          style={{
            margin: 0,
            maxHeight,
            overflow: "auto",
            border: "1px solid var(--gray-a5)",
            borderRadius: "var(--radius-2)",
            fontFamily: "var(--code-font-family)",
            fontSize: "var(--font-size-1)",
            lineHeight: 1.55,
          }}
        >
          <pre>
            {body.map((line, i) => (
              <div key={i} data-kind={kindOf(line)} style={{ ...LINE_STYLE[kindOf(line)], padding: "0 10px", whiteSpace: "pre" }}>
                {line || " "}
              </div>
            ))}
          </pre>
        </Box>
      )}
    </Flex>
  );
}
