// Config expression safety (SPEC §5): a config expression is parsed by the engine itself, its parse
// tree is checked against an allowlist of deterministic scalar constructs, and the SQL the engine
// later splices is re-rendered from that checked tree rather than taken from the user's text.
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryOne, quoteIdent } from "../engine/duckdb";
import { PipelineError, type ErrorIssue } from "../errors";
import type { PipelineConfig } from "./schema";

export interface CheckedExpression {
  /** SQL re-rendered by the engine from the checked parse tree; safe to splice where a value goes. */
  canonical: string;
  /** Source columns the expression reads, as written, de-duplicated (case-insensitively). */
  columns: string[];
}

export interface CheckExpressionOptions {
  /** Field path named in errors, e.g. `rolling_columns[2].mapper_expr`. */
  field: string;
  /** Source columns the expression may read; null when the source schema is not known yet. */
  allowedColumns: readonly string[] | null;
}

export const MAX_EXPRESSION_LENGTH = 4000;

/** Deeper trees are not plausible config expressions and only cost stack. */
const MAX_DEPTH = 200;

/**
 * Named scalar functions an expression may call: deterministic, free of side effects, reading
 * nothing but their arguments (no settings, files, clock, randomness or catalog). Aggregates,
 * table functions and anything taking a lambda are absent on purpose. `expr.test.ts` checks each
 * name against the engine's own function catalog.
 */
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  // numbers
  "abs", "round", "floor", "ceil", "ceiling", "trunc", "sign", "sqrt", "power", "pow", "mod",
  "least", "greatest", "nullif", "isnan", "isinf", "isfinite",
  // text
  "upper", "lower", "ucase", "lcase", "trim", "ltrim", "rtrim", "substr", "substring", "left",
  "right", "length", "char_length", "concat", "concat_ws", "replace", "translate", "lpad", "rpad",
  "strpos", "instr", "position", "starts_with", "ends_with", "prefix", "suffix", "contains",
  "regexp_matches", "regexp_full_match", "regexp_replace", "regexp_extract",
  // LIKE … ESCAPE is rewritten by the parser into these
  "like_escape", "not_like_escape", "ilike_escape", "not_ilike_escape",
  // dates (INTERVAL literals are rewritten into to_days/to_months/to_years over trunc)
  "date_trunc", "date_part", "year", "quarter", "month", "day", "dayofmonth", "dayofweek", "isodow",
  "last_day", "date_diff", "datediff", "date_add", "date_sub", "make_date", "strftime", "strptime",
  "try_strptime", "to_days", "to_months", "to_years",
]);

/** Operators, which DuckDB's tree holds as FUNCTION nodes named by their symbol. */
export const ALLOWED_OPERATORS: ReadonlySet<string> = new Set([
  "+", "-", "*", "/", "//", "%", "^", "**", "||",
  "~~", "!~~", "~~*", "!~~*", // [NOT] LIKE, [NOT] ILIKE
]);

/**
 * Functions the parser itself emits as `main.<name>` (TRIM(LEADING … FROM …), SUBSTRING(… FROM …),
 * POSITION(… IN …), EXTRACT, LIKE … ESCAPE). The tree cannot tell them from a user-written
 * `main.<name>(…)`, so exactly these are accepted with schema `main`; every other qualified name is not.
 */
const PARSER_QUALIFIED_FUNCTIONS: ReadonlySet<string> = new Set([
  "trim", "ltrim", "rtrim", "substring", "position", "date_part",
  "like_escape", "not_like_escape", "ilike_escape", "not_ilike_escape",
]);

/**
 * Bare names the binder turns into SQL value functions (clock, user, catalog) when no column of that
 * name exists — even when quoted. Only a concern when the source columns are unknown.
 */
const VALUE_FUNCTION_NAMES: ReadonlySet<string> = new Set([
  "current_date", "current_time", "current_timestamp", "localtime", "localtimestamp",
  "current_user", "session_user", "user", "current_role", "current_catalog", "current_schema",
  "rowid",
]);

const COMPARISONS: ReadonlySet<string> = new Set([
  "COMPARE_EQUAL", "COMPARE_NOTEQUAL", "COMPARE_LESSTHAN", "COMPARE_GREATERTHAN",
  "COMPARE_LESSTHANOREQUALTO", "COMPARE_GREATERTHANOREQUALTO",
  "COMPARE_DISTINCT_FROM", "COMPARE_NOT_DISTINCT_FROM",
]);

const OPERATORS: ReadonlySet<string> = new Set([
  "OPERATOR_NOT", "OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL", "OPERATOR_COALESCE",
  "COMPARE_IN", "COMPARE_NOT_IN",
]);

/** Literal types the parser produces for number, string, NULL and boolean literals. */
const CONSTANT_TYPES: ReadonlySet<string> = new Set([
  "INTEGER", "BIGINT", "HUGEINT", "UBIGINT", "UHUGEINT", "DECIMAL", "DOUBLE", "FLOAT", "VARCHAR",
  "BOOLEAN", "NULL",
]);

/**
 * Cast targets: plain scalar types. TIMESTAMP WITH TIME ZONE is left out because its conversions
 * depend on the session time zone; user-defined (UNBOUND, e.g. JSON), nested and BLOB types are out.
 */
const CAST_TYPES: ReadonlySet<string> = new Set([
  "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
  "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "VARCHAR", "DATE", "TIME",
  "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "INTERVAL",
]);

/** Fields every parsed expression node carries. */
const BASE_KEYS = ["class", "type", "alias", "query_location"] as const;

/** Thrown inside the checker with a user-facing message; turned into a field issue at the boundary. */
class Rejected extends Error {}

function reject(message: string): never {
  throw new Rejected(message);
}

type TreeNode = Record<string, unknown>;

function isRecord(value: unknown): value is TreeNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function record(value: unknown, what: string): TreeNode {
  if (!isRecord(value)) reject(`unsupported construct (malformed ${what})`);
  return value;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) reject(`unsupported construct (malformed ${what})`);
  return value;
}

function text(value: unknown, what: string): string {
  if (typeof value !== "string") reject(`unsupported construct (malformed ${what})`);
  return value;
}

/**
 * Rejects fields the checker does not know: a newer engine may add a clause to a node (say, a
 * filter) and an allowlist must not let it through unexamined.
 */
function onlyKeys(node: TreeNode, keys: readonly string[], what: string): void {
  for (const key of Object.keys(node)) {
    if (!keys.includes(key)) reject(`unsupported construct in ${what} ("${key}")`);
  }
}

function isEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}

interface WalkState {
  /** lower-case name → name as written, first occurrence wins */
  readonly columns: Map<string, string>;
  /** lower-case name → allowed source column; null: any single-part name */
  readonly allowed: ReadonlyMap<string, string> | null;
  readonly allowedList: readonly string[] | null;
  /** Why the engine's rendering will not parse back to the same tree, when a known construct says so. */
  unrenderable: string | undefined;
}

function describeColumns(names: readonly string[]): string {
  const shown = names.slice(0, 40).join(", ");
  return names.length > 40 ? `${shown}, … (${names.length} in all)` : shown;
}

function checkNode(value: unknown, state: WalkState, depth: number): void {
  if (depth > MAX_DEPTH) reject("expression is nested too deeply");
  const node = record(value, "expression");
  const cls = text(node.class, "expression class");
  const type = text(node.type, "expression type");
  // Classes refused outright come first so the message names them, whatever their fields hold.
  switch (cls) {
    case "SUBQUERY":
      reject("subqueries are not allowed");
    case "WINDOW":
      reject(`window functions are not allowed ("${String(node.function_name)}" OVER …)`);
    case "LAMBDA":
      reject("lambda expressions are not allowed");
    case "STAR":
      reject("* and COLUMNS(…) are not allowed");
    case "PARAMETER":
      reject("parameters ($1, ?, $name) are not allowed");
    case "COLLATE":
      reject("COLLATE is not allowed");
  }
  // A non-empty alias on a nested node is a named argument (`f(x := 1)`); it has no use here.
  if (node.alias !== undefined && node.alias !== "") reject(`named arguments and aliases are not allowed ("${String(node.alias)}")`);
  const next = depth + 1;
  switch (cls) {
    case "COLUMN_REF": {
      onlyKeys(node, [...BASE_KEYS, "column_names"], "a column reference");
      const parts = list(node.column_names, "column name").map((p) => text(p, "column name"));
      const [name] = parts;
      if (parts.length !== 1 || name === undefined) {
        reject(`qualified name "${parts.join(".")}" is not allowed (use a plain source column name)`);
      }
      checkColumn(name, state);
      return;
    }
    case "CONSTANT": {
      onlyKeys(node, [...BASE_KEYS, "value"], "a literal");
      const v = record(node.value, "literal");
      const t = record(v.type, "literal type");
      const id = text(t.id, "literal type");
      if (!CONSTANT_TYPES.has(id)) reject(`literal of type ${id} is not allowed`);
      if (id === "DOUBLE" || id === "FLOAT") state.unrenderable ??= "exponent literals such as 1e3 cannot be rendered back exactly; write 1000.0 or CAST(1000 AS DOUBLE)";
      // only IS [NOT] TRUE/FALSE yields a BOOLEAN literal (TRUE itself parses as CAST('t' AS BOOLEAN))
      if (id === "BOOLEAN") state.unrenderable ??= "IS TRUE / IS FALSE cannot be rendered back exactly; write (a = true) or COALESCE(a, false)";
      if (t.type_info !== null && !(id === "DECIMAL" && isRecord(t.type_info) && t.type_info.type === "DECIMAL_TYPE_INFO")) {
        reject(`literal of type ${id} is not allowed`);
      }
      return;
    }
    case "CAST": {
      onlyKeys(node, [...BASE_KEYS, "child", "cast_type", "try_cast"], "a cast");
      const t = record(node.cast_type, "cast type");
      const id = text(t.id, "cast type");
      const info = t.type_info;
      const plain = info === null || (id === "DECIMAL" && isRecord(info) && info.type === "DECIMAL_TYPE_INFO");
      if (!CAST_TYPES.has(id) || !plain) {
        const name = id === "UNBOUND" && isRecord(info) && typeof info.name === "string" ? info.name : id;
        reject(`cast to ${name} is not allowed`);
      }
      if (typeof node.try_cast !== "boolean") reject("unsupported construct (malformed cast)");
      checkNode(node.child, state, next);
      return;
    }
    case "CASE": {
      onlyKeys(node, [...BASE_KEYS, "case_checks", "else_expr"], "a CASE expression");
      for (const check of list(node.case_checks, "CASE branch")) {
        const c = record(check, "CASE branch");
        onlyKeys(c, ["when_expr", "then_expr"], "a CASE branch");
        checkNode(c.when_expr, state, next);
        checkNode(c.then_expr, state, next);
      }
      checkNode(node.else_expr, state, next);
      return;
    }
    case "COMPARISON": {
      onlyKeys(node, [...BASE_KEYS, "left", "right"], "a comparison");
      if (!COMPARISONS.has(type)) reject(`comparison ${type} is not allowed`);
      checkNode(node.left, state, next);
      checkNode(node.right, state, next);
      return;
    }
    case "CONJUNCTION": {
      onlyKeys(node, [...BASE_KEYS, "children"], "AND/OR");
      if (type !== "CONJUNCTION_AND" && type !== "CONJUNCTION_OR") reject(`${type} is not allowed`);
      for (const child of list(node.children, "AND/OR operands")) checkNode(child, state, next);
      return;
    }
    case "BETWEEN": {
      onlyKeys(node, [...BASE_KEYS, "input", "lower", "upper"], "BETWEEN");
      checkNode(node.input, state, next);
      checkNode(node.lower, state, next);
      checkNode(node.upper, state, next);
      return;
    }
    case "OPERATOR": {
      onlyKeys(node, [...BASE_KEYS, "children"], "an operator");
      if (type === "OPERATOR_UNPACK") reject("* and COLUMNS(…) are not allowed");
      if (!OPERATORS.has(type)) reject(`operator ${operatorName(type)} is not allowed`);
      // IN lists hold arbitrary expressions, each checked like any other.
      for (const child of list(node.children, "operands")) checkNode(child, state, next);
      return;
    }
    case "FUNCTION":
      checkFunction(node, state, next);
      return;
    default:
      reject(`${cls.toLowerCase().replaceAll("_", " ")} expressions are not allowed`);
  }
}

function operatorName(type: string): string {
  const known: Record<string, string> = {
    ARRAY_EXTRACT: "[…] (element access)",
    ARRAY_SLICE: "[…:…] (slice)",
    STRUCT_EXTRACT: ". (field access)",
    ARRAY_CONSTRUCTOR: "ARRAY[…]",
    OPERATOR_TRY: "TRY(…)",
  };
  return known[type] ?? type;
}

function checkColumn(name: string, state: WalkState): void {
  const lower = name.toLowerCase();
  if (state.allowed) {
    if (!state.allowed.has(lower)) {
      reject(`unknown column "${name}" (source columns: ${describeColumns(state.allowedList ?? [])})`);
    }
  } else if (VALUE_FUNCTION_NAMES.has(lower)) {
    reject(`"${name}" is not allowed: without such a source column the engine evaluates it as a function`);
  }
  if (!state.columns.has(lower)) state.columns.set(lower, name);
}

function checkFunction(node: TreeNode, state: WalkState, depth: number): void {
  onlyKeys(
    node,
    [...BASE_KEYS, "function_name", "schema", "catalog", "children", "filter", "order_bys", "distinct", "is_operator", "export_state"],
    "a function call",
  );
  const name = text(node.function_name, "function name").toLowerCase();
  const schema = text(node.schema, "function schema");
  const catalog = text(node.catalog, "function catalog");
  if (typeof node.is_operator !== "boolean") reject("unsupported construct (malformed function call)");
  const isOperator = node.is_operator;
  if (catalog !== "" || (schema !== "" && !(schema === "main" && PARSER_QUALIFIED_FUNCTIONS.has(name)))) {
    const qualified = [catalog, schema, name].filter((p) => p !== "").join(".");
    reject(`schema-qualified function "${qualified}" is not allowed`);
  }
  if (name === "count_star") reject("count(*) is not allowed (aggregates are not allowed)");
  const allowed = isOperator ? ALLOWED_OPERATORS.has(name) : ALLOWED_FUNCTIONS.has(name) || ALLOWED_OPERATORS.has(name);
  if (!allowed) reject(isOperator ? `operator "${name}" is not allowed` : `function "${name}" is not allowed`);
  // Aggregate-only syntax on an allowed scalar function: no meaning here, so no way in.
  const orderBys = record(node.order_bys, "ORDER BY");
  onlyKeys(orderBys, ["type", "orders"], "ORDER BY");
  if (node.distinct !== false || node.filter !== null || !isEmptyList(orderBys.orders) || node.export_state !== false) {
    reject(`DISTINCT, FILTER, ORDER BY and EXPORT_STATE are not allowed in a call of "${name}"`);
  }
  for (const child of list(node.children, "function arguments")) checkNode(child, state, depth);
}

/** The one select-list item of `SELECT (<expr>)`, after refusing every other kind of statement. */
function selectItem(tree: TreeNode): unknown {
  const statements = list(tree.statements, "statement list");
  if (statements.length !== 1) reject("must be a single expression, not several statements");
  const statement = record(statements[0], "statement");
  onlyKeys(statement, ["node", "named_param_map"], "the statement");
  if (!isEmptyList(statement.named_param_map)) reject("parameters ($1, ?, $name) are not allowed");
  const node = record(statement.node, "statement");
  if (node.type !== "SELECT_NODE") reject("must be a single scalar expression (set operations and other statements are not allowed)");
  onlyKeys(
    node,
    ["type", "modifiers", "cte_map", "select_list", "from_table", "where_clause", "group_expressions", "group_sets",
      "aggregate_handling", "having", "sample", "qualify"],
    "the statement",
  );
  const from = record(node.from_table, "FROM");
  const cte = record(node.cte_map, "WITH");
  if (from.type !== "EMPTY") reject("FROM is not allowed");
  if (!isEmptyList(cte.map)) reject("WITH (common table expressions) is not allowed");
  if (node.where_clause !== null) reject("WHERE is not allowed");
  if (!isEmptyList(node.group_expressions) || !isEmptyList(node.group_sets)) reject("GROUP BY is not allowed");
  if (node.having !== null) reject("HAVING is not allowed");
  if (node.qualify !== null) reject("QUALIFY is not allowed");
  if (node.sample !== null || from.sample !== null) reject("sampling is not allowed");
  if (!isEmptyList(node.modifiers)) reject("ORDER BY, LIMIT and DISTINCT are not allowed");
  if (node.aggregate_handling !== "STANDARD_HANDLING") reject("GROUP BY ALL is not allowed");
  const items = list(node.select_list, "select list");
  if (items.length !== 1) reject("must be a single expression, not a list");
  return items[0];
}

/**
 * The serialized tree without source positions, for comparing two parses. Positions are the only
 * fields that differ between equal trees; a string literal cannot contain this pattern because
 * quotes inside JSON strings are escaped.
 */
function withoutPositions(json: string): string {
  return json.replace(/"query_location":[0-9.eE+-]+,?/g, "");
}

type Parsed = { ok: true; json: string; tree: TreeNode } | { ok: false; message: string };

async function parseSelect(conn: DuckDBConnection, sql: string): Promise<Parsed> {
  // The SQL is a bound parameter: it is parsed as data, never executed and never spliced here.
  const row = await queryOne(conn, "SELECT json_serialize_sql($1::VARCHAR)::VARCHAR AS tree", [sql]);
  const json = row?.tree;
  if (typeof json !== "string") return { ok: false, message: "the engine returned no parse tree" };
  let tree: unknown;
  try {
    tree = JSON.parse(json);
  } catch {
    // e.g. a numeric literal out of range is serialized as Infinity, which is not JSON
    return { ok: false, message: "literal out of range" };
  }
  if (!isRecord(tree)) return { ok: false, message: "the engine returned no parse tree" };
  if (tree.error !== false) {
    const msg = typeof tree.error_message === "string" ? tree.error_message : "syntax error";
    return { ok: false, message: msg.split("\n")[0] ?? msg };
  }
  return { ok: true, json, tree };
}

/**
 * Whether `candidate` is exactly the checked tree and holds together wherever the engine may splice
 * it: alone it must parse back to the checked tree, and a postfix `::VARCHAR` (which binds tighter
 * than every infix and prefix operator) must apply to all of it, as `CAST(candidate AS VARCHAR)` does.
 */
async function splicesAs(conn: DuckDBConnection, candidate: string, checkedJson: string): Promise<boolean> {
  const alone = await parseSelect(conn, `SELECT ${candidate}`);
  if (!alone.ok || withoutPositions(alone.json) !== withoutPositions(checkedJson)) return false;
  const postfix = await parseSelect(conn, `SELECT ${candidate}::VARCHAR`);
  const call = await parseSelect(conn, `SELECT CAST(${candidate} AS VARCHAR)`);
  return postfix.ok && call.ok && withoutPositions(postfix.json) === withoutPositions(call.json);
}

type Inspection = { ok: true; value: CheckedExpression } | { ok: false; message: string };

async function inspect(conn: DuckDBConnection, expr: string, allowedColumns: readonly string[] | null): Promise<Inspection> {
  // Cheap refusals before the engine sees anything.
  if (expr.trim() === "") return { ok: false, message: "must not be empty" };
  if (expr.length > MAX_EXPRESSION_LENGTH) return { ok: false, message: `must be at most ${MAX_EXPRESSION_LENGTH} characters` };
  if (expr.includes("\u0000")) return { ok: false, message: "must not contain NUL" };
  if (expr.includes(";")) return { ok: false, message: '";" is not allowed (one expression, no statements)' };
  if (/[\uD800-\uDFFF]/u.test(expr)) return { ok: false, message: "must be valid Unicode text" };

  const parsed = await parseSelect(conn, `SELECT (${expr})`);
  if (!parsed.ok) return { ok: false, message: `could not parse: ${parsed.message}` };

  const allowed = allowedColumns ? new Map(allowedColumns.map((c) => [c.toLowerCase(), c] as const)) : null;
  const state: WalkState = { columns: new Map(), allowed, allowedList: allowedColumns, unrenderable: undefined };
  try {
    checkNode(selectItem(parsed.tree), state, 0);
  } catch (err) {
    if (err instanceof Rejected) return { ok: false, message: err.message };
    throw err;
  }

  // Re-render from the very tree that was checked (the engine's own JSON, not a JS round-trip,
  // which would lose precision on 64-bit positions and large literals).
  const row = await queryOne(conn, "SELECT json_deserialize_sql($1::JSON) AS sql", [parsed.json]);
  const sql = row?.sql;
  if (typeof sql !== "string" || !sql.startsWith("SELECT ")) {
    return { ok: false, message: "the engine could not re-render the expression" };
  }
  const rendered = sql.slice("SELECT ".length);
  // The engine splices `canonical` into generated SQL, so it must parse back to exactly the tree
  // that was checked and be one operand wherever it lands; a renderer quirk (an unquoted keyword,
  // a `--` from two minus signs, a bare `a + b`) fails here. Outer parentheses only when needed.
  for (const canonical of [rendered, `(${rendered})`]) {
    if (await splicesAs(conn, canonical, parsed.json)) {
      return { ok: true, value: { canonical, columns: [...state.columns.values()] } };
    }
  }
  return { ok: false, message: state.unrenderable ?? "the engine cannot render this expression back exactly; write it more plainly" };
}

function configError(issues: ErrorIssue[]): PipelineError {
  const [first] = issues;
  const message = issues.length === 1 && first ? `${first.path}: ${first.message}` : `${issues.length} config expressions are invalid`;
  return new PipelineError("CONFIG_INVALID", message, { issues });
}

/**
 * Parses and checks one config expression. Throws PipelineError CONFIG_INVALID naming the field and
 * the offending construct; engine failures unrelated to the text propagate unchanged.
 */
export async function checkExpression(
  conn: DuckDBConnection,
  expr: string,
  opts: CheckExpressionOptions,
): Promise<CheckedExpression> {
  const result = await inspect(conn, expr, opts.allowedColumns);
  if (!result.ok) throw configError([{ path: opts.field, message: result.message }]);
  return result.value;
}

export interface CheckedConfigExpressions {
  /** By rolling column name: its mapper_expr, or its quoted source_column. */
  rolling: Map<string, CheckedExpression>;
  /** By scalar column name: its expr, or its quoted source_column. */
  scalars: Map<string, CheckedExpression>;
}

/**
 * Checks every expression of a config and reports all problems at once, each with its field path.
 * `sourceColumns` null means the source schema is unknown: names are then checked for shape only.
 */
export async function checkConfigExpressions(
  conn: DuckDBConnection,
  cfg: PipelineConfig,
  sourceColumns: readonly string[] | null,
): Promise<CheckedConfigExpressions> {
  const issues: ErrorIssue[] = [];
  const known = sourceColumns ? new Set(sourceColumns.map((c) => c.toLowerCase())) : null;

  const check = async (
    base: string,
    sourceColumn: string | undefined,
    expr: string | undefined,
    exprField: string,
  ): Promise<CheckedExpression | undefined> => {
    let sourceOk = true;
    if (sourceColumn !== undefined && known && !known.has(sourceColumn.toLowerCase())) {
      issues.push({
        path: `${base}.source_column`,
        message: `unknown column "${sourceColumn}" (source columns: ${describeColumns(sourceColumns ?? [])})`,
      });
      sourceOk = false;
    }
    if (expr !== undefined) {
      const result = await inspect(conn, expr, sourceColumns);
      if (result.ok) return result.value;
      issues.push({ path: `${base}.${exprField}`, message: result.message });
      return undefined;
    }
    if (sourceColumn === undefined || !sourceOk) return undefined;
    // A plain copy still goes through the checker, so it gets the same canonical form.
    const result = await inspect(conn, quoteIdent(sourceColumn), sourceColumns);
    if (result.ok) return result.value;
    issues.push({ path: `${base}.source_column`, message: result.message });
    return undefined;
  };

  const rolling = new Map<string, CheckedExpression>();
  for (const [i, col] of cfg.rolling_columns.entries()) {
    const checked = await check(`rolling_columns[${i}]`, col.source_column, col.mapper_expr, "mapper_expr");
    if (checked) rolling.set(col.name, checked);
  }
  const scalars = new Map<string, CheckedExpression>();
  for (const [i, col] of cfg.columns.entries()) {
    const checked = await check(`columns[${i}]`, col.source_column, col.expr, "expr");
    if (checked) scalars.set(col.name, checked);
  }
  if (issues.length > 0) throw configError(issues);
  return { rolling, scalars };
}
