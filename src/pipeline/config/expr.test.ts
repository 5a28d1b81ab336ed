// Config expression safety against a real, hardened engine: hostile expressions are refused with
// their field path; real mapper expressions are accepted and their canonical SQL runs.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeEngine, openEngine, queryOne, queryRows, quoteIdent, quoteString } from "../engine/duckdb";
import { PipelineError } from "../errors";
import {
  ALLOWED_FUNCTIONS,
  ALLOWED_OPERATORS,
  checkConfigExpressions,
  checkExpression,
  type CheckedExpression,
} from "./expr";
import { configSchema, type ConfigInput } from "./schema";

const SOURCE_COLUMNS = [
  "cons_acct_key", "rpt_as_of_mo", "base_ts", "balance_am", "orig_loan_am", "high_credit_am",
  "payment_rating_cd", "days_past_due", "acct_type_cd", "x", "d",
] as const;
const FIELD = "rolling_columns[2].mapper_expr";

let dir = "";
let database = "";
let conn: DuckDBConnection;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-expr-"));
  database = path.join(dir, "engine.duckdb");
  const engine = await openEngine({ database });
  conn = await engine.connect();
  await conn.run(`CREATE TABLE src (
    cons_acct_key BIGINT, rpt_as_of_mo DATE, base_ts TIMESTAMP, balance_am BIGINT, orig_loan_am BIGINT,
    high_credit_am BIGINT, payment_rating_cd VARCHAR, days_past_due VARCHAR, acct_type_cd VARCHAR,
    x VARCHAR, d DATE)`);
  await conn.run(`INSERT INTO src VALUES
    (1, DATE '2024-01-01', TIMESTAMP '2024-01-05 00:00:00', -1, NULL, 500, ' a ', '30', 'A', 'A', DATE '2024-03-15'),
    (2, DATE '2024-02-01', TIMESTAMP '2024-02-05 00:00:00', 250, 1000, 900, 'b', '0', 'C', 'Z', NULL)`);
});

afterAll(async () => {
  conn.closeSync();
  await closeEngine(database);
  fs.rmSync(dir, { recursive: true, force: true });
});

function check(expr: string, allowedColumns: readonly string[] | null = SOURCE_COLUMNS): Promise<CheckedExpression> {
  return checkExpression(conn, expr, { field: FIELD, allowedColumns });
}

/** The rejection of an expression, asserting it is a field-level CONFIG_INVALID error. */
async function rejection(expr: string, allowedColumns: readonly string[] | null = SOURCE_COLUMNS): Promise<string> {
  const err: unknown = await check(expr, allowedColumns).then(
    (ok) => new Error(`accepted ${JSON.stringify(expr)} as ${ok.canonical}`),
    (e: unknown) => e,
  );
  if (!(err instanceof PipelineError)) throw err;
  expect(err.code).toBe("CONFIG_INVALID");
  expect(err.issues).toHaveLength(1);
  expect(err.issues[0]?.path).toBe(FIELD);
  expect(err.message).toBe(`${FIELD}: ${err.issues[0]?.message}`);
  return err.issues[0]?.message ?? "";
}

async function treeOf(sql: string): Promise<string> {
  const row = await queryOne(conn, "SELECT json_serialize_sql($1::VARCHAR)::VARCHAR AS t", [sql]);
  return String(row?.t).replace(/"query_location":[0-9]+,?/g, "");
}

// kind → hostile expressions; every one must be refused, with a message matching `why`
const HOSTILE: { kind: string; why: RegExp; exprs: string[] }[] = [
  { kind: "statement separator", why: /";" is not allowed/, exprs: ["1; DROP TABLE src", "x); DELETE FROM src; SELECT (1", "'a'') ; drop table src --"] },
  { kind: "comment tricks", why: /could not parse|not allowed/, exprs: ["x -- ) FROM src", "x /* */ ) FROM src WHERE (1", "1) /* c */ UNION SELECT (2"] },
  { kind: "scalar subquery", why: /subqueries are not allowed/, exprs: ["(SELECT 1)", "(SELECT max(balance_am) FROM src)", "CASE WHEN x = 'A' THEN (SELECT 1) ELSE 0 END", "abs((SELECT 1))"] },
  { kind: "EXISTS", why: /subqueries are not allowed/, exprs: ["EXISTS (SELECT 1)", "NOT EXISTS (SELECT * FROM src)"] },
  { kind: "IN / ANY subquery", why: /subqueries are not allowed/, exprs: ["x IN (SELECT x FROM src)", "x = ANY([1])", "x NOT IN (SELECT 1)"] },
  { kind: "file readers", why: /function "read_(csv|parquet|text|blob|json|csv_auto)" is not allowed/, exprs: ["read_csv('/etc/passwd')", "read_parquet('x.parquet')", "read_text('/etc/passwd')", "read_blob('/etc/shadow')", "read_json('x')", "read_csv_auto('x')"] },
  { kind: "file listing", why: /function "glob" is not allowed/, exprs: ["glob('/*')"] },
  { kind: "query functions", why: /function "query(_table)?" is not allowed/, exprs: ["query('SELECT 1')", "query_table('src')"] },
  { kind: "environment and settings", why: /function "(getenv|current_setting|getvariable|set_variable)" is not allowed/, exprs: ["getenv('HOME')", "current_setting('threads')", "getvariable('x')", "set_variable('x', 1)"] },
  { kind: "sequences", why: /function "(nextval|currval)" is not allowed/, exprs: ["nextval('seq')", "currval('seq')"] },
  { kind: "randomness", why: /function "(random|uuid|gen_random_uuid|setseed)" is not allowed/, exprs: ["random()", "uuid()", "gen_random_uuid()", "setseed(0.5)"] },
  { kind: "clock", why: /function "(now|get_current_timestamp|today)" is not allowed|evaluates it as a function|unknown column/, exprs: ["now()", "today()", "get_current_timestamp()", "current_date", "current_timestamp"] },
  { kind: "window function", why: /window functions are not allowed/, exprs: ["sum(balance_am) OVER ()", "row_number() OVER (ORDER BY x)", "lag(balance_am) OVER (PARTITION BY cons_acct_key)"] },
  { kind: "aggregate", why: /function "(sum|max|count|string_agg)" is not allowed|count\(\*\)/, exprs: ["sum(balance_am)", "count(*)", "count(DISTINCT x)", "max(balance_am) FILTER (WHERE x = 'A')", "string_agg(x ORDER BY x)"] },
  { kind: "star", why: /\* and COLUMNS/, exprs: ["*", "COLUMNS(*)", "COLUMNS('bal.*')", "*COLUMNS(*)", "src.*"] },
  { kind: "lambda", why: /lambda expressions are not allowed|function "list_(transform|filter)" is not allowed/, exprs: ["list_transform([1], y -> y)", "lambda y: y", "list_filter([1], lambda y: y > 0)"] },
  { kind: "schema-qualified function", why: /schema-qualified function/, exprs: ["main.abs(balance_am)", "system.main.getenv('HOME')", "pg_catalog.current_database()", "x.upper()"] },
  { kind: "table-valued function", why: /function "(range|generate_series|unnest|repeat_row|sql_auto_complete|duckdb_settings)" is not allowed/, exprs: ["range(10)", "generate_series(1, 3)", "unnest([1, 2])", "sql_auto_complete('SEL')", "duckdb_settings()"] },
  { kind: "parameter", why: /parameters/, exprs: ["$1", "?", "$name", "balance_am + $1"] },
  { kind: "other statements", why: /could not parse|not allowed|single expression/, exprs: ["PRAGMA version", "SET threads = 1", "COPY src TO 'x.csv'", "ATTACH 'x.db'", "x) FROM src WHERE (1", "1) UNION ALL SELECT (2", "1), (2", "x) FROM src ORDER BY (1", "x) FROM src GROUP BY (x", "1) LIMIT (1"] },
  { kind: "unknown column", why: /unknown column "(secret|balance_amt)" \(source columns: cons_acct_key/, exprs: ["secret", "COALESCE(balance_amt, 0)"] },
  { kind: "qualified column", why: /qualified name/, exprs: ["src.balance_am", "main.src.balance_am"] },
  { kind: "unknown function", why: /function "(frobnicate|pg_sleep|sleep_ms|hash|md5_number|version|current_database)" is not allowed/, exprs: ["frobnicate(x)", "pg_sleep(10)", "sleep_ms(1000)", "hash(x)", "version()", "current_database()"] },
  { kind: "nested in an allowed function", why: /function "(getenv|read_csv|random)" is not allowed/, exprs: ["abs(getenv('HOME'))", "CAST(read_csv('x') AS INTEGER)", "upper(trim(getenv('HOME')))", "COALESCE(balance_am, random())", "CASE WHEN x IN ('A', getenv('X')) THEN 1 END", "x BETWEEN 1 AND random()"] },
  { kind: "named argument", why: /named arguments/, exprs: ["round(balance_am, ndigits := 2)"] },
  { kind: "unsafe cast target", why: /cast to (JSON|LIST|TIMESTAMP WITH TIME ZONE|BLOB|my_enum) is not allowed/, exprs: ["x::JSON", "CAST(x AS INTEGER[])", "base_ts::TIMESTAMPTZ", "x::BLOB", "x::my_enum"] },
  { kind: "COLLATE", why: /COLLATE is not allowed/, exprs: ["x COLLATE nocase"] },
  { kind: "nested types and access", why: /not allowed/, exprs: ["[1, 2]", "{'a': 1}", "x[1]", "(x, x)", "map([1], [2])"] },
  { kind: "unsafe operators", why: /operator "(->>|~~~|@>|&&|<<)" is not allowed|function "regexp_full_match"|not allowed/, exprs: ["x ->> '$.a'", "x GLOB 'a*'", "balance_am << 2"] },
  { kind: "over-long or bad input", why: /at most 4000|NUL|must not be empty|valid Unicode/, exprs: ["x + ".repeat(1001) + "x", "x\u0000", "   ", "x || '\uD800'"] },
];

describe("checkExpression refuses hostile expressions", () => {
  const cases = HOSTILE.flatMap((g) => g.exprs.map((expr) => ({ kind: g.kind, expr, why: g.why })));

  it("covers at least 40 expressions across at least 20 kinds", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.kind)).size).toBeGreaterThanOrEqual(20);
  });

  it.each(cases)("$kind: $expr", async ({ expr, why }) => {
    expect(await rejection(expr)).toMatch(why);
  });

  it("names the construct in the message", async () => {
    expect(await rejection("read_csv('x')")).toBe('function "read_csv" is not allowed');
    expect(await rejection("(SELECT 1)")).toBe("subqueries are not allowed");
    expect(await rejection("foo", ["a", "b", "c"])).toBe('unknown column "foo" (source columns: a, b, c)');
    expect(await rejection("1 +")).toMatch(/^could not parse: syntax error/);
    expect(await rejection("main.abs(balance_am)")).toBe('schema-qualified function "main.abs" is not allowed');
  });

  it("refuses value-function names when the source columns are unknown", async () => {
    for (const name of ["current_date", '"current_date"', "user", "current_schema", "rowid", "localtimestamp"]) {
      expect(await rejection(name, null)).toMatch(/evaluates it as a function/);
    }
  });

  it("does not rely on the sandbox: hostile text never executes", async () => {
    // A side effect in a refused expression would have created this table.
    await rejection("1); CREATE TABLE pwned AS SELECT (1");
    await rejection("x) FROM src; CREATE TABLE pwned (a INT); SELECT (1");
    const row = await queryOne(conn, "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'pwned'");
    expect(Number(row?.n)).toBe(0);
  });
});

// expression → the values it must produce on the two rows of `src` (compared as text)
const ACCEPTED: { expr: string; columns: string[]; values: (string | number | boolean | null)[] }[] = [
  { expr: "COALESCE(balance_am, 0)", columns: ["balance_am"], values: [-1, 250] },
  { expr: "CASE WHEN balance_am = -1 THEN NULL ELSE balance_am END", columns: ["balance_am"], values: [null, 250] },
  { expr: "COALESCE(orig_loan_am, high_credit_am)", columns: ["orig_loan_am", "high_credit_am"], values: [500, 1000] },
  { expr: "upper(trim(payment_rating_cd))", columns: ["payment_rating_cd"], values: ["A", "B"] },
  { expr: "CAST(days_past_due AS INTEGER)", columns: ["days_past_due"], values: [30, 0] },
  { expr: "balance_am / 100.0", columns: ["balance_am"], values: [-0.01, 2.5] },
  { expr: "CASE WHEN x IN ('A','B') THEN 1 ELSE 0 END", columns: ["x"], values: [1, 0] },
  { expr: "balance_am BETWEEN 1 AND 500", columns: ["balance_am"], values: [false, true] },
  { expr: "orig_loan_am IS NULL", columns: ["orig_loan_am"], values: [true, false] },
  { expr: "NOT (balance_am > 1)", columns: ["balance_am"], values: [true, false] },
  { expr: "x NOT IN ('A') AND balance_am IS NOT NULL", columns: ["x", "balance_am"], values: [false, true] },
  { expr: "acct_type_cd LIKE 'A%' OR x ILIKE 'z'", columns: ["acct_type_cd", "x"], values: [true, true] },
  { expr: "-balance_am", columns: ["balance_am"], values: [1, -250] },
  { expr: "- -balance_am", columns: ["balance_am"], values: [-1, 250] },
  { expr: "balance_am // 100 + balance_am % 100", columns: ["balance_am"], values: [-1, 52] },
  { expr: "x || '-' || acct_type_cd", columns: ["x", "acct_type_cd"], values: ["A-A", "Z-C"] },
  { expr: "TRY_CAST(x AS INTEGER)", columns: ["x"], values: [null, null] },
  { expr: "date_trunc('month', d)", columns: ["d"], values: ["2024-03-01 00:00:00", null] },
  { expr: "year(d) * 100 + month(d)", columns: ["d"], values: [202403, null] },
  { expr: "d + INTERVAL 1 MONTH", columns: ["d"], values: ["2024-04-15 00:00:00", null] },
  { expr: "substring(x FROM 1 FOR 1) || trim(LEADING ' ' FROM payment_rating_cd)", columns: ["x", "payment_rating_cd"], values: ["Aa ", "Zb"] },
  { expr: "extract(year FROM d)", columns: ["d"], values: [2024, null] },
  { expr: "nullif(balance_am, -1)", columns: ["balance_am"], values: [null, 250] },
  { expr: "ifnull(orig_loan_am, 0) + IF(x = 'A', 1, 0)", columns: ["orig_loan_am", "x"], values: [1, 1000] },
  { expr: "greatest(balance_am, 0) * CAST(1 AS DOUBLE)", columns: ["balance_am"], values: ["0.0", "250.0"] },
  { expr: "x = 'it''s fine'", columns: ["x"], values: [false, false] },
  { expr: "Balance_Am + BALANCE_AM", columns: ["Balance_Am"], values: [-2, 500] },
  { expr: "18446744073709551616 + 0 > balance_am", columns: ["balance_am"], values: [true, true] },
];

describe("checkExpression accepts real mapper expressions", () => {
  it.each(ACCEPTED)("$expr", async ({ expr, columns, values }) => {
    const checked = await check(expr);
    expect(checked.columns).toEqual(columns);
    // canonical is the checked tree: it re-parses to the same tree as the original text
    expect(await treeOf(`SELECT ${checked.canonical}`)).toBe(await treeOf(`SELECT (${expr})`));
    // and it stays one operand when spliced next to an operator
    const rows = await queryRows(
      conn,
      `SELECT CAST(${checked.canonical} AS VARCHAR) AS v, ${checked.canonical}::VARCHAR AS spliced FROM src ORDER BY cons_acct_key`,
    );
    expect(rows.map((r) => r.v)).toEqual(values.map((v) => (v === null ? null : String(v))));
    expect(rows.map((r) => r.spliced)).toEqual(rows.map((r) => r.v));
  });

  it("renders the default expressions plainly", async () => {
    expect((await check("COALESCE(balance_am, 0)")).canonical).toBe("COALESCE(balance_am, 0)");
    expect((await check("balance_am / 100.0")).canonical).toBe("(balance_am / 100.0)");
    expect((await check("upper(trim(payment_rating_cd))")).canonical).toBe("upper(main.\"trim\"(payment_rating_cd))");
    expect((await check("CAST(days_past_due AS INTEGER)")).canonical).toBe("CAST(days_past_due AS INTEGER)");
    expect((await check("-1")).canonical).toBe("(-1)");
    // a prefix minus would bind tighter than a following `::type`, so it gets parentheses
    expect((await check("- -balance_am")).canonical).toBe("(-(-(balance_am)))");
    expect((await check("abs(-balance_am)")).canonical).toBe("abs(-(balance_am))");
  });

  it("refuses literals the engine cannot render back to the same tree", async () => {
    expect(await rejection("balance_am * 1e0")).toMatch(/exponent literals/);
    expect(await rejection("(balance_am > 0) IS TRUE")).toMatch(/IS TRUE/);
    expect((await check("COALESCE(balance_am > 0, false)")).canonical).toBe("COALESCE((balance_am > 0), CAST('f' AS BOOLEAN))");
  });

  it("parses a comment or odd spacing away", async () => {
    expect((await check("balance_am /* cents */ + 1")).canonical).toBe("(balance_am + 1)");
    expect((await check("balance_am\n+\t1 -- trailing comment\n")).canonical).toBe("(balance_am + 1)");
  });

  it("accepts any single-part column when the source columns are unknown", async () => {
    const checked = await check("COALESCE(whatever, other, whatever)", null);
    expect(checked.columns).toEqual(["whatever", "other"]);
  });
});

describe("awkward column names", () => {
  const names = ["select", "a b", 'we"ird', "Order", "it's", "año", "1st", "current_date", "user"];

  it("quotes keywords, spaces and quotes in canonical, and the result runs", async () => {
    await conn.run(`CREATE OR REPLACE TABLE awkward (${names.map((n) => `${quoteIdent(n)} VARCHAR`).join(", ")})`);
    await conn.run(`INSERT INTO awkward VALUES (${names.map((n) => `'${n.replaceAll("'", "''")}'`).join(", ")})`);
    for (const name of names) {
      const checked = await check(`${quoteIdent(name)} || '!'`, names);
      expect(checked.columns).toEqual([name]);
      expect(await treeOf(`SELECT ${checked.canonical}`)).toBe(await treeOf(`SELECT (${quoteIdent(name)} || '!')`));
      const row = await queryOne(conn, `SELECT ${checked.canonical} AS v FROM awkward`);
      expect(row?.v).toBe(`${name}!`);
    }
    expect((await check('"select" + 1', names)).canonical).toBe('("select" + 1)');
    expect((await check('"we""ird"', names)).canonical).toBe('"we""ird"');
  });

  it("accepts a real column named like a value function", async () => {
    const checked = await check("current_date", names);
    const row = await queryOne(conn, `SELECT ${checked.canonical} AS v FROM awkward`);
    expect(row?.v).toBe("current_date");
  });
});

describe("the allowlist", () => {
  it("names only deterministic scalar functions and macros of the engine", async () => {
    const names = [...ALLOWED_FUNCTIONS, ...ALLOWED_OPERATORS];
    const rows = await queryRows(
      conn,
      `SELECT function_name AS name, list(DISTINCT function_type) AS types, bool_or(has_side_effects) AS side_effects,
              list(DISTINCT stability) FILTER (WHERE stability IS NOT NULL) AS stability
         FROM duckdb_functions() WHERE database_name = 'system' AND function_name IN (${names.map(quoteString).join(", ")})
        GROUP BY ALL`,
    );
    const found = new Map(rows.map((r) => [String(r.name), r]));
    for (const name of names) {
      const r = found.get(name);
      expect(r, name).toBeDefined();
      for (const t of (r?.types ?? []) as string[]) expect(["scalar", "macro"], name).toContain(t);
      expect(r?.side_effects === true, name).toBe(false);
      for (const s of (r?.stability ?? []) as string[]) expect(s, name).toBe("CONSISTENT");
    }
  });
});

describe("checkConfigExpressions", () => {
  function config(input: Partial<ConfigInput>) {
    return configSchema.parse({
      rolling_columns: [{ name: "balance", source_column: "balance_am", data_type: "Integer" }],
      ...input,
    });
  }

  it("checks every expression, falling back to the quoted source column", async () => {
    const cfg = config({
      columns: [
        { name: "acct_type_cd", source_column: "acct_type_cd" },
        { name: "orig_loan_am", expr: "COALESCE(orig_loan_am, high_credit_am)" },
      ],
      rolling_columns: [
        { name: "balance", source_column: "balance_am", mapper_expr: "COALESCE(balance_am, 0)", data_type: "Integer" },
        { name: "payment_rating", source_column: "payment_rating_cd", data_type: "String" },
      ],
    });
    const { rolling, scalars } = await checkConfigExpressions(conn, cfg, [...SOURCE_COLUMNS]);
    expect(rolling.get("balance")).toEqual({ canonical: "COALESCE(balance_am, 0)", columns: ["balance_am"] });
    expect(rolling.get("payment_rating")).toEqual({ canonical: "payment_rating_cd", columns: ["payment_rating_cd"] });
    expect(scalars.get("acct_type_cd")).toEqual({ canonical: "acct_type_cd", columns: ["acct_type_cd"] });
    expect(scalars.get("orig_loan_am")?.columns).toEqual(["orig_loan_am", "high_credit_am"]);
  });

  it("collects all issues, each with its field path", async () => {
    const cfg = config({
      columns: [
        { name: "ok", expr: "upper(x)" },
        { name: "bad", expr: "getenv('HOME')" },
        { name: "missing", source_column: "nope" },
      ],
      rolling_columns: [
        { name: "balance", source_column: "balance_am", mapper_expr: "COALESCE(balance_am, 0)", data_type: "Integer" },
        { name: "b", source_column: "gone", mapper_expr: "(SELECT 1)", data_type: "Integer" },
        { name: "c", source_column: "balance_am", mapper_expr: "read_csv('x')", data_type: "Integer" },
      ],
    });
    const err: unknown = await checkConfigExpressions(conn, cfg, [...SOURCE_COLUMNS]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    const pe = err as PipelineError;
    expect(pe.code).toBe("CONFIG_INVALID");
    expect(pe.issues).toEqual([
      { path: "rolling_columns[1].source_column", message: expect.stringMatching(/^unknown column "gone"/) },
      { path: "rolling_columns[1].mapper_expr", message: "subqueries are not allowed" },
      { path: "rolling_columns[2].mapper_expr", message: 'function "read_csv" is not allowed' },
      { path: "columns[1].expr", message: 'function "getenv" is not allowed' },
      { path: "columns[2].source_column", message: expect.stringMatching(/^unknown column "nope"/) },
    ]);
  });

  it("checks shape only when the source columns are unknown", async () => {
    const cfg = config({
      columns: [{ name: "today", source_column: "current_date" }],
      rolling_columns: [{ name: "balance", source_column: "anything", mapper_expr: "anything + 1", data_type: "Integer" }],
    });
    const err: unknown = await checkConfigExpressions(conn, cfg, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).issues.map((i) => i.path)).toEqual(["columns[0].source_column"]);
    const ok = await checkConfigExpressions(conn, config({}), null);
    expect(ok.rolling.get("balance")?.canonical).toBe("balance_am");
  });
});

describe("any text", () => {
  it("is either refused as CONFIG_INVALID or accepted with a canonical form that re-parses to itself", async () => {
    const token = fc.constantFrom(
      "balance_am", "x", "d", "1", "-", "+", "*", "/", "(", ")", ",", "'", "'a'", '"', "--", "/*", "*/", ";",
      " ", "AND", "OR", "NOT", "IN", "IS", "NULL", "CASE", "WHEN", "THEN", "ELSE", "END", "SELECT", "FROM",
      "abs", "getenv", "read_csv", "COALESCE", "::", "INTEGER", "[", "]", "->", "$1", "?", "OVER", "=", "<",
    );
    await fc.assert(
      fc.asyncProperty(fc.array(token, { minLength: 1, maxLength: 12 }), async (tokens) => {
        const expr = tokens.join(" ");
        let checked: CheckedExpression;
        try {
          checked = await check(expr);
        } catch (err) {
          expect(err).toBeInstanceOf(PipelineError);
          expect((err as PipelineError).issues[0]?.path).toBe(FIELD);
          return;
        }
        expect(await treeOf(`SELECT ${checked.canonical}`)).toBe(await treeOf(`SELECT (${expr})`));
        for (const c of checked.columns) expect(SOURCE_COLUMNS as readonly string[]).toContain(c);
      }),
      { numRuns: 300, seed: 20240601 },
    );
  });
});
