"use client";
// The config editor: a form and the raw JSON of one draft kept in sync, validated as it is typed —
// the zod schema here in the browser, the engine's expression checks on the server after a pause —
// with each problem shown at its field; saving (operators) creates a version and shows its diff.
import { Badge, Button, Callout, Card, Code, Flex, Skeleton, Tabs, Text, TextArea, TextField } from "@radix-ui/themes";
import { useEffect, useMemo, useState } from "react";
import { ApiErrorCallout } from "@/components/api-error-callout";
import { OperatorButton } from "@/components/operator-button";
import { UnifiedDiff } from "@/components/unified-diff";
import { useActiveConfig, useConfigValidation, useSaveConfig } from "@/hooks/use-config";
import { useRole } from "@/hooks/use-session";
import { configSchema, formatPath } from "@/pipeline/config/schema";
import type { ErrorIssue } from "@/pipeline/errors";
import { MAX_COMMENT } from "@/server/api/schemas/config";
import { ConfigForm } from "./config-form";
import { ConfigVersions } from "./config-versions";
import { issuesByPath, type Doc } from "./doc-path";

export const SERVER_CHECK_DELAY_MS = 600;
/**
 * Validation is a query, sent in the URL; a draft whose encoded form would not fit comfortably in
 * a request line is checked by the engine when it is saved instead.
 */
const MAX_CHECK_URL_CHARS = 12_000;

/** A minimal starting point when there is neither an active version nor a readable config file. */
const TEMPLATE = `{
  "source": { "kind": "table", "name": "accounts_all" },
  "rolling_columns": [
    { "name": "balance", "source_column": "balance_am", "mapper_expr": "COALESCE(balance_am, 0)", "data_type": "Integer" }
  ]
}
`;

interface Draft {
  doc: Doc;
  raw: string;
  /** The raw text does not parse; the form shows the last document that did. */
  jsonError: string | null;
  /** The version the draft started from. */
  baseId: number | null;
}

function draftOf(text: string, baseId: number | null): Draft {
  try {
    const doc = JSON.parse(text) as unknown;
    if (typeof doc === "object" && doc !== null && !Array.isArray(doc)) {
      return { doc: doc as Doc, raw: text, jsonError: null, baseId };
    }
    return { doc: {}, raw: text, jsonError: "the config must be a JSON object", baseId };
  } catch (err) {
    return { doc: {}, raw: text, jsonError: err instanceof Error ? err.message : String(err), baseId };
  }
}

function pretty(doc: Doc): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function useDebounced<T>(value: T, delayMs: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return debounced;
}

function issuesOfSaveError(error: unknown): ErrorIssue[] {
  const data = (error as { data?: { pipelineError?: { issues?: ErrorIssue[] } | null } | null }).data;
  return data?.pipelineError?.issues ?? [];
}

function dedupe(issues: ErrorIssue[]): ErrorIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function IssueList({ issues }: { issues: ErrorIssue[] }) {
  if (issues.length === 0) return null;
  return (
    <Callout.Root color="red" size="1" data-testid="config-issues" role="alert">
      <Callout.Text>
        <Text weight="medium">
          {issues.length === 1 ? "1 problem" : `${issues.length} problems`}: nothing can be saved until {issues.length === 1 ? "it is" : "they are"} fixed.
        </Text>
      </Callout.Text>
      <Flex asChild direction="column" gap="1" m="0" pl="4">
        <ul>
          {issues.map((i) => (
            <li key={`${i.path}:${i.message}`}>
              <Text size="2">
                <Code variant="ghost">{i.path}</Code> {i.message}
              </Text>
            </li>
          ))}
        </ul>
      </Flex>
    </Callout.Root>
  );
}

function FileStateCallout({ file }: { file: { path: string; state: string; error: string | null } }) {
  if (file.state === "matches") return null;
  const text =
    file.state === "differs"
      ? "was edited outside the dashboard: it is not the active version. Activating a version overwrites it."
      : file.state === "invalid"
        ? `is not a valid config: ${file.error ?? ""}`
        : `cannot be read: ${file.error ?? ""}`;
  return (
    <Callout.Root color={file.state === "differs" ? "amber" : "red"} size="1" data-testid="config-file-state">
      <Callout.Text>
        The config file <Code variant="ghost">{file.path}</Code> {text}
      </Callout.Text>
    </Callout.Root>
  );
}

function Editor({ initialText, activeJson, activeId }: { initialText: string; activeJson: string | null; activeId: number | null }) {
  const { isOperator } = useRole();
  const [draft, setDraft] = useState<Draft>(() => draftOf(initialText, activeId));
  const [tab, setTab] = useState("form");
  const [comment, setComment] = useState("");
  const save = useSaveConfig();
  const [savedCanonical, setSavedCanonical] = useState<string | null>(null);

  // the schema, in the browser, on every keystroke
  const parsed = useMemo(() => (draft.jsonError === null ? configSchema.safeParse(draft.doc) : null), [draft]);
  const clientIssues: ErrorIssue[] = useMemo(() => {
    if (draft.jsonError !== null) return [{ path: "(root)", message: `not valid JSON: ${draft.jsonError}` }];
    if (parsed && !parsed.success) return parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    return [];
  }, [draft.jsonError, parsed]);
  const canonical = parsed?.success ? pretty(parsed.data as Doc) : null;

  // the engine's expression checks (and the schema again, server-side), once typing pauses
  const checkText = draft.jsonError === null ? JSON.stringify(draft.doc) : null;
  const fitsUrl = checkText === null || encodeURIComponent(JSON.stringify({ text: checkText })).length <= MAX_CHECK_URL_CHARS;
  const debouncedCheck = useDebounced(fitsUrl ? checkText : null, SERVER_CHECK_DELAY_MS);
  const validation = useConfigValidation(debouncedCheck);
  const checkCurrent = debouncedCheck !== null && debouncedCheck === checkText && validation.data !== undefined && !validation.isPlaceholderData;
  const serverIssues = checkCurrent ? (validation.data?.issues ?? []) : [];
  const checking = checkText !== null && fitsUrl && !checkCurrent && !validation.isError;

  const saveIssues = save.isError ? issuesOfSaveError(save.error) : [];
  const issues = dedupe([...clientIssues, ...serverIssues, ...saveIssues]);
  const byPath = useMemo(() => issuesByPath(issues), [issues]);

  const unchanged = canonical !== null && canonical === activeJson;
  const alreadySaved = canonical !== null && canonical === savedCanonical;
  const blockedReason =
    issues.length > 0
      ? "fix the problems first"
      : canonical === null
        ? "the draft is not a valid config"
        : unchanged
          ? "no changes against the active version"
          : alreadySaved
            ? "already saved"
            : save.isPending
              ? "saving…"
              : null;

  const edit = (next: Draft) => {
    if (save.isError || save.isSuccess) save.reset();
    setDraft(next);
  };
  const onFormChange = (doc: Doc) => edit({ ...draft, doc, raw: pretty(doc), jsonError: null });
  const onRawChange = (raw: string) => {
    const next = draftOf(raw, draft.baseId);
    // a syntax error keeps the last document that parsed, so the form does not empty out
    edit(next.jsonError === null ? next : { ...draft, raw, jsonError: next.jsonError });
  };
  const onSave = () => {
    if (canonical === null) return;
    const text = JSON.stringify(draft.doc, null, 2);
    save.mutate(
      { text, comment: comment.trim() || undefined },
      {
        onSuccess: () => {
          setSavedCanonical(canonical);
          setComment("");
        },
      },
    );
  };
  const loadVersion = (json: string, id: number) => {
    save.reset();
    setDraft(draftOf(json, id));
  };

  return (
    <Flex direction="column" gap="4">
      {!isOperator ? (
        <Callout.Root color="gray" size="1" data-testid="config-viewer-hint">
          <Callout.Text>You are a viewer: you can edit and validate a draft, but saving and activating versions needs the operator role — sign in as operator.</Callout.Text>
        </Callout.Root>
      ) : null}
      <Card size="2" style={{ position: "sticky", top: 0, zIndex: 2, background: "var(--color-panel-solid)" }}>
        <Flex gap="3" align="center" wrap="wrap" data-testid="config-toolbar">
          <Flex gap="2" align="center" style={{ flex: "1 1 240px" }}>
            {issues.length > 0 ? (
              <Badge color="red" size="2" data-testid="config-status">
                {issues.length === 1 ? "1 problem" : `${issues.length} problems`}
              </Badge>
            ) : checking ? (
              <Badge color="gray" size="2" data-testid="config-status">
                checking expressions…
              </Badge>
            ) : (
              <Badge color="green" size="2" data-testid="config-status">
                valid
              </Badge>
            )}
            <Text size="1" color="gray">
              {draft.baseId !== null ? `draft from version ${draft.baseId}` : "new draft"}
              {unchanged ? " · no changes" : ""}
              {!fitsUrl ? " · large draft: expressions are checked on save" : ""}
            </Text>
          </Flex>
          <TextField.Root
            placeholder="Comment (optional)"
            aria-label="Comment"
            value={comment}
            maxLength={MAX_COMMENT}
            onChange={(e) => setComment(e.target.value)}
            style={{ width: 260 }}
            disabled={!isOperator}
            data-testid="config-comment"
          />
          <Button
            variant="soft"
            color="gray"
            onClick={() => {
              save.reset();
              setDraft(draftOf(initialText, activeId));
            }}
            disabled={draft.raw === initialText}
          >
            Reset
          </Button>
          <OperatorButton onClick={onSave} blockedReason={blockedReason} loading={save.isPending} data-testid="config-save">
            Save version
          </OperatorButton>
        </Flex>
      </Card>
      {save.isError && saveIssues.length === 0 ? <ApiErrorCallout error={save.error} title="Not saved" testId="save-error" /> : null}
      {save.isSuccess ? (
        <Card size="2" data-testid="save-result">
          <Flex direction="column" gap="2">
            <Text size="2" weight="medium">
              Saved version {save.data.id}
              {save.data.comment ? ` — ${save.data.comment}` : ""}. Activate it below to make runs use it.
            </Text>
            <UnifiedDiff diff={save.data.diff ?? ""} testId="save-diff" />
          </Flex>
        </Card>
      ) : null}
      <IssueList issues={issues} />
      <Tabs.Root value={tab} onValueChange={setTab}>
        <Tabs.List>
          <Tabs.Trigger value="form">Form</Tabs.Trigger>
          <Tabs.Trigger value="json">JSON</Tabs.Trigger>
        </Tabs.List>
        <Tabs.Content value="form">
          <Flex direction="column" gap="3" pt="4">
            {draft.jsonError !== null ? (
              <Callout.Root color="amber" size="1">
                <Callout.Text>The JSON has a syntax error; the form shows the last document that parsed, and editing it replaces the JSON.</Callout.Text>
              </Callout.Root>
            ) : null}
            <ConfigForm doc={draft.doc} onChange={onFormChange} issues={byPath} />
          </Flex>
        </Tabs.Content>
        <Tabs.Content value="json">
          <Flex direction="column" gap="2" pt="4">
            <TextArea
              value={draft.raw}
              onChange={(e) => onRawChange(e.target.value)}
              rows={32}
              spellCheck={false}
              aria-label="Config JSON"
              data-testid="config-json"
              color={draft.jsonError ? "red" : undefined}
              style={{ fontFamily: "var(--code-font-family)", fontSize: "var(--font-size-1)" }}
            />
          </Flex>
        </Tabs.Content>
      </Tabs.Root>
      <ConfigVersions onEdit={loadVersion} />
    </Flex>
  );
}

export function ConfigEditorPage() {
  const active = useActiveConfig();
  if (active.isPending) return <Skeleton height="480px" />;
  if (active.isError) return <ApiErrorCallout error={active.error} title="Could not read the config" />;
  const { version, file } = active.data;
  const initialText = version?.json ?? file.text ?? TEMPLATE;
  return (
    <Flex direction="column" gap="4">
      <FileStateCallout file={file} />
      {/* a new active version starts a new draft */}
      <Editor key={version?.id ?? 0} initialText={initialText} activeJson={version?.json ?? null} activeId={version?.id ?? null} />
    </Flex>
  );
}
