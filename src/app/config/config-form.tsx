"use client";
// The config as a form: one card per section of SPEC §5, lists with add/remove rows. It edits the
// document (which may be malformed while being typed) by field path, and shows each validation
// issue under the field its path names (`rolling_columns[2].mapper_expr`).
import { Button, Card, Flex, Grid, Heading, IconButton, Select, Switch, Text, TextField } from "@radix-ui/themes";
import { createContext, useContext, useState, type ReactNode } from "react";
import { DATA_TYPES } from "@/pipeline/config/schema";
import { appendAt, formatPath, getIn, listAt, numberFrom, removeAt, setIn, textOf, type Doc, type DocPath } from "./doc-path";

interface FormState {
  doc: Doc;
  set: (path: DocPath, value: unknown) => void;
  replace: (next: Doc) => void;
  issues: Map<string, string[]>;
  disabled: boolean;
}

const FormContext = createContext<FormState | null>(null);

function useForm(): FormState {
  const ctx = useContext(FormContext);
  if (!ctx) throw new Error("config form fields must be inside <ConfigForm>");
  return ctx;
}

function FieldErrors({ path }: { path: string }) {
  const { issues } = useForm();
  const messages = issues.get(path);
  if (!messages) return null;
  return (
    <>
      {messages.map((m) => (
        <Text key={m} size="1" color="red" data-testid="field-error" data-path={path} role="alert">
          {m}
        </Text>
      ))}
    </>
  );
}

function Field(props: { path: DocPath; label?: string; hint?: string; children: ReactNode; grow?: boolean }) {
  const key = formatPath(props.path);
  const { issues } = useForm();
  return (
    <Flex direction="column" gap="1" data-field={key} data-invalid={issues.has(key) || undefined} style={props.grow ? { flex: 1, minWidth: 0 } : { minWidth: 0 }}>
      {props.label ? (
        <Text as="label" htmlFor={`cfg-${key}`} size="1" weight="medium" color="gray">
          {props.label}
        </Text>
      ) : null}
      {props.children}
      {props.hint ? (
        <Text size="1" color="gray">
          {props.hint}
        </Text>
      ) : null}
      <FieldErrors path={key} />
    </Flex>
  );
}

type Empty = "keep" | "omit" | "null";

function emptyValue(empty: Empty): "" | undefined | null {
  return empty === "keep" ? "" : empty === "omit" ? undefined : null;
}

function TextInput(props: { path: DocPath; label?: string; ariaLabel?: string; placeholder?: string; empty?: Empty; mono?: boolean; hint?: string; grow?: boolean }) {
  const { doc, set, issues, disabled } = useForm();
  const key = formatPath(props.path);
  return (
    <Field path={props.path} label={props.label} hint={props.hint} grow={props.grow}>
      <TextField.Root
        id={`cfg-${key}`}
        aria-label={props.ariaLabel ?? props.label ?? key}
        aria-invalid={issues.has(key) || undefined}
        color={issues.has(key) ? "red" : undefined}
        variant={issues.has(key) ? "soft" : "surface"}
        value={textOf(getIn(doc, props.path))}
        placeholder={props.placeholder}
        disabled={disabled}
        style={props.mono ? { fontFamily: "var(--code-font-family)" } : undefined}
        onChange={(e) => set(props.path, e.target.value === "" ? emptyValue(props.empty ?? "keep") : e.target.value)}
      />
    </Field>
  );
}

function NumberInput(props: { path: DocPath; label?: string; ariaLabel?: string; placeholder?: string; empty?: "omit" | "null"; hint?: string }) {
  const { doc, set, issues, disabled } = useForm();
  const key = formatPath(props.path);
  return (
    <Field path={props.path} label={props.label} hint={props.hint}>
      <TextField.Root
        id={`cfg-${key}`}
        inputMode="numeric"
        aria-label={props.ariaLabel ?? props.label ?? key}
        aria-invalid={issues.has(key) || undefined}
        color={issues.has(key) ? "red" : undefined}
        variant={issues.has(key) ? "soft" : "surface"}
        value={textOf(getIn(doc, props.path))}
        placeholder={props.placeholder}
        disabled={disabled}
        onChange={(e) => set(props.path, numberFrom(e.target.value, props.empty === "null" ? null : undefined))}
      />
    </Field>
  );
}

const AUTO = "__auto";

function SelectInput(props: {
  path: DocPath;
  label?: string;
  ariaLabel?: string;
  options: readonly string[];
  /** Label of a `null` choice (e.g. "from the data"); absent when the field must be set. */
  nullLabel?: string;
  onSelect?: (value: string | null) => void;
}) {
  const { doc, set, disabled } = useForm();
  const key = formatPath(props.path);
  const raw = getIn(doc, props.path);
  const value = raw === null || raw === undefined ? (props.nullLabel ? AUTO : "") : typeof raw === "string" && props.options.includes(raw) ? raw : "";
  return (
    <Field path={props.path} label={props.label}>
      <Select.Root
        value={value}
        disabled={disabled}
        onValueChange={(v) => {
          const next = v === AUTO ? null : v;
          if (props.onSelect) props.onSelect(next);
          else set(props.path, next);
        }}
      >
        <Select.Trigger id={`cfg-${key}`} aria-label={props.ariaLabel ?? props.label ?? key} placeholder={typeof raw === "string" ? raw : "choose…"} />
        <Select.Content>
          {props.nullLabel ? <Select.Item value={AUTO}>{props.nullLabel}</Select.Item> : null}
          {props.options.map((o) => (
            <Select.Item key={o} value={o}>
              {o}
            </Select.Item>
          ))}
        </Select.Content>
      </Select.Root>
    </Field>
  );
}

function SwitchInput({ path, label }: { path: DocPath; label: string }) {
  const { doc, set, disabled } = useForm();
  return (
    <Field path={path}>
      <Text as="label" size="2">
        <Flex gap="2" align="center" height="32px">
          <Switch checked={getIn(doc, path) === true} disabled={disabled} onCheckedChange={(c) => set(path, c)} />
          {label}
        </Flex>
      </Text>
    </Field>
  );
}

/** A list of short strings typed as `DA, DF`; the text is kept while typing (a trailing comma survives). */
function StringListInput({ path, label, placeholder }: { path: DocPath; label: string; placeholder?: string }) {
  const { doc, set, disabled, issues } = useForm();
  const key = formatPath(path);
  const value = getIn(doc, path);
  const items = Array.isArray(value) ? value.map((v) => textOf(v)) : [];
  const external = items.join("\u0000");
  const [text, setText] = useState(items.join(", "));
  const [seen, setSeen] = useState(external);
  const parse = (t: string) =>
    t
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  if (external !== seen) {
    // changed from elsewhere (the JSON view): show it, unless it is what the text already says
    setSeen(external);
    if (parse(text).join("\u0000") !== external) setText(items.join(", "));
  }
  return (
    <Field path={path} label={label} hint="comma-separated">
      <TextField.Root
        id={`cfg-${key}`}
        aria-label={label}
        color={issues.has(key) ? "red" : undefined}
        variant={issues.has(key) ? "soft" : "surface"}
        value={text}
        placeholder={placeholder}
        disabled={disabled}
        onChange={(e) => {
          setText(e.target.value);
          set(path, parse(e.target.value));
        }}
      />
    </Field>
  );
}

function Section(props: { title: string; description?: string; path?: DocPath; children: ReactNode; testId?: string; action?: ReactNode }) {
  return (
    <Card size="2" data-testid={props.testId}>
      <Flex direction="column" gap="3">
        <Flex justify="between" align="start" gap="3">
          <Flex direction="column" gap="1">
            <Heading as="h3" size="3">
              {props.title}
            </Heading>
            {props.description ? (
              <Text size="1" color="gray">
                {props.description}
              </Text>
            ) : null}
          </Flex>
          {props.action}
        </Flex>
        {props.path ? <FieldErrors path={formatPath(props.path)} /> : null}
        {props.children}
      </Flex>
    </Card>
  );
}

function RemoveButton({ label, onClick }: { label: string; onClick: () => void }) {
  const { disabled } = useForm();
  return (
    <IconButton type="button" variant="ghost" color="gray" aria-label={label} onClick={onClick} disabled={disabled} mt="1">
      <svg width="14" height="14" viewBox="0 0 15 15" aria-hidden>
        <path d="M4 4l7 7M11 4l-7 7" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
      </svg>
    </IconButton>
  );
}

function AddButton({ label, onClick, testId }: { label: string; onClick: () => void; testId?: string }) {
  const { disabled } = useForm();
  return (
    <Button type="button" variant="soft" size="1" onClick={onClick} disabled={disabled} data-testid={testId}>
      + {label}
    </Button>
  );
}

function ListHeader({ columns, labels }: { columns: string; labels: string[] }) {
  return (
    <Grid columns={columns} gap="2">
      {labels.map((l, i) => (
        <Text key={i} size="1" weight="medium" color="gray">
          {l}
        </Text>
      ))}
    </Grid>
  );
}

const ROLLING_GRID = "minmax(120px,1fr) minmax(120px,1fr) minmax(200px,2.2fr) 150px 84px 28px";

function DataTypeInput({ path, ariaLabel }: { path: DocPath; ariaLabel: string }) {
  const { doc, set, disabled } = useForm();
  const raw = getIn(doc, path);
  const isDecimal = typeof raw === "string" && raw.startsWith("Decimal");
  const options = [...DATA_TYPES, "Decimal"];
  return (
    <Flex direction="column" gap="1">
      <Select.Root
        value={isDecimal ? "Decimal" : typeof raw === "string" && options.includes(raw) ? raw : ""}
        disabled={disabled}
        onValueChange={(v) => set(path, v === "Decimal" ? "Decimal(18,2)" : v)}
      >
        <Select.Trigger aria-label={ariaLabel} placeholder={typeof raw === "string" && raw ? raw : "type…"} />
        <Select.Content>
          {options.map((o) => (
            <Select.Item key={o} value={o}>
              {o === "Decimal" ? "Decimal(p,s)" : o}
            </Select.Item>
          ))}
        </Select.Content>
      </Select.Root>
      {isDecimal ? (
        <TextField.Root
          size="1"
          aria-label={`${ariaLabel}, precision and scale`}
          value={textOf(raw)}
          disabled={disabled}
          style={{ fontFamily: "var(--code-font-family)" }}
          onChange={(e) => set(path, e.target.value)}
        />
      ) : null}
      <FieldErrors path={formatPath(path)} />
    </Flex>
  );
}

function RollingColumns() {
  const { doc, replace } = useForm();
  const base = ["rolling_columns"] as const;
  const rows = listAt(doc, base);
  return (
    <Section
      title="Rolling columns"
      description="Each becomes a <name>_history array, newest month first. The mapper is a scalar SQL expression over source columns; the history length overrides the global one."
      path={base}
      testId="section-rolling"
      action={
        <AddButton
          label="Add rolling column"
          testId="add-rolling-column"
          onClick={() => replace(appendAt(doc, base, { name: "", source_column: "", data_type: "Integer" }))}
        />
      }
    >
      {rows.length > 0 ? <ListHeader columns={ROLLING_GRID} labels={["Name", "Source column", "Mapper expression", "Data type", "History", ""]} /> : null}
      {rows.map((_, i) => (
        <Flex key={i} direction="column" gap="1" data-testid="rolling-row">
          <Grid columns={ROLLING_GRID} gap="2" align="start">
            <TextInput path={[...base, i, "name"]} ariaLabel={`Rolling column ${i + 1} name`} mono />
            <TextInput path={[...base, i, "source_column"]} ariaLabel={`Rolling column ${i + 1} source column`} mono />
            <TextInput
              path={[...base, i, "mapper_expr"]}
              ariaLabel={`Rolling column ${i + 1} mapper expression`}
              placeholder="(the source column as is)"
              empty="omit"
              mono
            />
            <DataTypeInput path={[...base, i, "data_type"]} ariaLabel={`Rolling column ${i + 1} data type`} />
            <NumberInput path={[...base, i, "history_length"]} ariaLabel={`Rolling column ${i + 1} history length`} placeholder={textOf(getIn(doc, ["history_length"])) || "global"} />
            <RemoveButton label={`Remove rolling column ${i + 1}`} onClick={() => replace(removeAt(doc, base, i))} />
          </Grid>
          <FieldErrors path={formatPath([...base, i])} />
        </Flex>
      ))}
    </Section>
  );
}

const SCALAR_GRID = "minmax(140px,1fr) 150px minmax(220px,2.5fr) 28px";

function ScalarColumns() {
  const { doc, replace, set, disabled } = useForm();
  const base = ["columns"] as const;
  const rows = listAt(doc, base);
  return (
    <Section
      title="Scalar columns"
      description="Copied from the latest record of each account: a source column, or an expression over source columns."
      path={base}
      testId="section-columns"
      action={<AddButton label="Add column" onClick={() => replace(appendAt(doc, base, { name: "", source_column: "" }))} />}
    >
      {rows.length > 0 ? <ListHeader columns={SCALAR_GRID} labels={["Name", "From", "Source column / expression", ""]} /> : null}
      {rows.map((row, i) => {
        const usesExpr = getIn(row, ["expr"]) !== undefined;
        const field = usesExpr ? "expr" : "source_column";
        return (
          <Flex key={i} direction="column" gap="1">
            <Grid columns={SCALAR_GRID} gap="2" align="start">
              <TextInput path={[...base, i, "name"]} ariaLabel={`Column ${i + 1} name`} mono />
              <Select.Root
                value={field}
                disabled={disabled}
                onValueChange={(v) => {
                  const current = textOf(getIn(row, [field]));
                  const next = { ...(row as Record<string, unknown>) };
                  delete next.expr;
                  delete next.source_column;
                  next[v] = current;
                  set([...base, i], next);
                }}
              >
                <Select.Trigger aria-label={`Column ${i + 1} kind`} />
                <Select.Content>
                  <Select.Item value="source_column">source column</Select.Item>
                  <Select.Item value="expr">expression</Select.Item>
                </Select.Content>
              </Select.Root>
              <TextInput path={[...base, i, field]} ariaLabel={`Column ${i + 1} ${usesExpr ? "expression" : "source column"}`} mono />
              <RemoveButton label={`Remove column ${i + 1}`} onClick={() => replace(removeAt(doc, base, i))} />
            </Grid>
            <FieldErrors path={formatPath([...base, i])} />
          </Flex>
        );
      })}
    </Section>
  );
}

const GRID_GRID = "minmax(160px,1.5fr) minmax(160px,1.5fr) 110px 28px";

function GridColumns() {
  const { doc, replace } = useForm();
  const base = ["grid_columns"] as const;
  const rows = listAt(doc, base);
  const rollingNames = listAt(doc, ["rolling_columns"])
    .map((r) => textOf(getIn(r, ["name"])))
    .filter((n) => n.length > 0);
  return (
    <Section
      title="Grid columns"
      description="A rolling column's history as one string, one character per month; the placeholder stands for a missing month."
      path={base}
      testId="section-grid"
      action={<AddButton label="Add grid column" onClick={() => replace(appendAt(doc, base, { name: "", rolling_column: rollingNames[0] ?? "", placeholder: "?" }))} />}
    >
      {rows.length > 0 ? <ListHeader columns={GRID_GRID} labels={["Name", "Rolling column", "Placeholder", ""]} /> : null}
      {rows.map((_, i) => (
        <Flex key={i} direction="column" gap="1">
          <Grid columns={GRID_GRID} gap="2" align="start">
            <TextInput path={[...base, i, "name"]} ariaLabel={`Grid column ${i + 1} name`} mono />
            <SelectInput path={[...base, i, "rolling_column"]} ariaLabel={`Grid column ${i + 1} rolling column`} options={[...new Set(rollingNames)]} />
            <TextInput path={[...base, i, "placeholder"]} ariaLabel={`Grid column ${i + 1} placeholder`} mono />
            <RemoveButton label={`Remove grid column ${i + 1}`} onClick={() => replace(removeAt(doc, base, i))} />
          </Grid>
          <FieldErrors path={formatPath([...base, i])} />
        </Flex>
      ))}
    </Section>
  );
}

function SourceSection() {
  const { doc, set } = useForm();
  const kind = getIn(doc, ["source", "kind"]);
  return (
    <Section title="Source" description="Where new records come from: a table of the engine database, or files." path={["source"]}>
      <Grid columns={{ initial: "1", sm: "3" }} gap="3">
        <SelectInput
          path={["source", "kind"]}
          label="Kind"
          options={["table", "files"]}
          onSelect={(v) =>
            set(["source"], v === "files" ? { kind: "files", format: "csv", glob: "data/incoming/*.csv" } : { kind: "table", name: "accounts_all" })
          }
        />
        {kind === "files" ? (
          <>
            <SelectInput path={["source", "format"]} label="Format" options={["csv", "parquet"]} />
            <TextInput path={["source", "glob"]} label="Glob" placeholder="data/incoming/*.csv" mono />
          </>
        ) : (
          <TextInput path={["source", "name"]} label="Table" placeholder="accounts_all" mono />
        )}
      </Grid>
    </Section>
  );
}

export function ConfigForm(props: { doc: Doc; onChange: (next: Doc) => void; issues: Map<string, string[]>; disabled?: boolean }) {
  const state: FormState = {
    doc: props.doc,
    set: (path, value) => props.onChange(setIn(props.doc, path, value)),
    replace: props.onChange,
    issues: props.issues,
    disabled: props.disabled ?? false,
  };
  return (
    <FormContext.Provider value={state}>
      <Flex direction="column" gap="4" data-testid="config-form">
        <Grid columns={{ initial: "1", md: "2" }} gap="4">
          <Section title="Engine" description="The DuckDB database the summary tables live in." path={["engine"]}>
            <Grid columns={{ initial: "1", sm: "3" }} gap="3">
              <TextInput path={["engine", "database"]} label="Database file" mono />
              <NumberInput path={["engine", "threads"]} label="Threads" placeholder="all cores" empty="null" />
              <TextInput path={["engine", "memory_limit"]} label="Memory limit" placeholder="e.g. 4GB" empty="null" />
            </Grid>
          </Section>
          <SourceSection />
        </Grid>
        <Section title="Keys" description="The columns that identify an account-month, order corrections, and mark deletions." path={["keys"]}>
          <Grid columns={{ initial: "1", sm: "2", md: "4" }} gap="3">
            <TextInput path={["keys", "account"]} label="Account" mono />
            <TextInput path={["keys", "month"]} label="Month" mono />
            <TextInput path={["keys", "timestamp"]} label="Timestamp" placeholder="(none)" empty="null" mono />
            <TextInput path={["keys", "delete_flag"]} label="Delete flag" placeholder="(none)" empty="null" mono />
            <StringListInput path={["keys", "delete_values"]} label="Delete values" placeholder="DA, DF" />
            <SelectInput path={["keys", "account_type"]} label="Account key type" options={["BIGINT", "VARCHAR"]} nullLabel="from the data" />
            <SelectInput path={["keys", "month_type"]} label="Month kind" options={["date", "yyyymm", "yyyy-mm"]} nullLabel="from the data" />
          </Grid>
        </Section>
        <Grid columns={{ initial: "1", md: "2" }} gap="4">
          <Section title="Tables" description="Names of the tables the pipeline writes." path={["tables"]}>
            <Grid columns={{ initial: "1", sm: "3" }} gap="3">
              <TextInput path={["tables", "summary"]} label="Summary" mono />
              <TextInput path={["tables", "latest_summary"]} label="Latest summary" mono />
              <TextInput path={["tables", "quarantine"]} label="Quarantine" mono />
            </Grid>
          </Section>
          <Section title="History and validation" description="How many months each history keeps; how far ahead a record may report.">
            <Grid columns={{ initial: "1", sm: "2" }} gap="3">
              <NumberInput path={["history_length"]} label="History length (months)" placeholder="36" />
              <NumberInput path={["validation", "max_future_months"]} label="Max future months" placeholder="1" />
            </Grid>
          </Section>
        </Grid>
        <ScalarColumns />
        <RollingColumns />
        <GridColumns />
        <Grid columns={{ initial: "1", md: "3" }} gap="4">
          <Section title="Partitioning" path={["partitioning"]}>
            <Grid columns="1" gap="3">
              <NumberInput path={["partitioning", "target_rows_per_partition"]} label="Target rows per partition" />
              <NumberInput path={["partitioning", "max_partitions"]} label="Max partitions" hint="a power of two" />
            </Grid>
          </Section>
          <Section title="Resilience" path={["resilience"]}>
            <Grid columns="1" gap="3">
              <NumberInput path={["resilience", "retry_count"]} label="Retries per bucket" />
              <Grid columns="2" gap="3">
                <NumberInput path={["resilience", "backoff_base_ms"]} label="Backoff base (ms)" />
                <NumberInput path={["resilience", "backoff_max_ms"]} label="Backoff max (ms)" />
              </Grid>
              <SwitchInput path={["resilience", "checkpoint_enabled"]} label="Checkpoint after each bucket" />
            </Grid>
          </Section>
          <Section title="Optimization" path={["optimization"]}>
            <Grid columns="1" gap="3">
              <NumberInput path={["optimization", "auto_every_n_runs"]} label="Optimize every N runs" hint="0 turns it off" />
              <NumberInput path={["optimization", "undo_retention_runs"]} label="Keep undo data for N runs" />
            </Grid>
          </Section>
        </Grid>
      </Flex>
    </FormContext.Provider>
  );
}
