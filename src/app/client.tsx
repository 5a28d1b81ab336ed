"use client";
// The health panel of the Overview page: one card per dependency, with a status badge.
import { Badge, Callout, Card, Code, DataList, Flex, Grid, Heading, Skeleton, Text } from "@radix-ui/themes";
import type { ReactNode } from "react";
import { useHealth } from "@/hooks/use-health";

function StatusBadge({ ok }: { ok: boolean }) {
  return (
    <Badge color={ok ? "green" : "red"} variant="soft" size="2" data-testid="status">
      {ok ? "OK" : "Error"}
    </Badge>
  );
}

function HealthCard(props: { title: string; ok: boolean; testId: string; children: ReactNode }) {
  return (
    <Card size="2" data-testid={props.testId}>
      <Flex direction="column" gap="3">
        <Flex justify="between" align="center">
          <Heading as="h3" size="3">
            {props.title}
          </Heading>
          <StatusBadge ok={props.ok} />
        </Flex>
        {props.children}
      </Flex>
    </Card>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <DataList.Item>
      <DataList.Label minWidth="88px">{label}</DataList.Label>
      <DataList.Value>{children}</DataList.Value>
    </DataList.Item>
  );
}

function ErrorText({ error }: { error: string }) {
  return (
    <Text color="red" size="2" data-testid="error">
      {error}
    </Text>
  );
}

/** UTC, so the server render and the browser agree whatever their time zones. */
function formatTime(date: Date): string {
  return `${date.toISOString().slice(11, 19)} UTC`;
}

export function HealthPanel() {
  const health = useHealth();

  if (health.isPending) {
    return (
      <Grid columns={{ initial: "1", md: "3" }} gap="4">
        {[0, 1, 2].map((i) => (
          <Skeleton key={i} height="140px" />
        ))}
      </Grid>
    );
  }
  if (health.isError) {
    return (
      <Callout.Root color="red" data-testid="health-error">
        <Callout.Text>The server did not answer the health check: {health.error.message}</Callout.Text>
      </Callout.Root>
    );
  }

  const { engine, control, app, status, checkedAt } = health.data;
  return (
    <Flex direction="column" gap="3" data-testid="health-panel">
      <Flex align="center" gap="2">
        <Text size="2" weight="medium">
          Overall
        </Text>
        <Badge color={status === "ok" ? "green" : "amber"} size="2" data-testid="health-status">
          {status === "ok" ? "Healthy" : "Degraded"}
        </Badge>
        <Text size="1" color="gray">
          checked {formatTime(checkedAt)}
          {health.isFetching ? " · refreshing" : ""}
        </Text>
      </Flex>
      <Grid columns={{ initial: "1", md: "3" }} gap="4">
        <HealthCard title="Engine (DuckDB)" ok={engine.ok} testId="health-engine">
          {engine.ok ? (
            <DataList.Root size="2">
              <Field label="Version">
                <Code variant="ghost">{engine.duckdbVersion}</Code>
              </Field>
              <Field label="Database">
                <Code variant="ghost" wrap="wrap">
                  {engine.database}
                </Code>
              </Field>
              <Field label="Config">
                <Code variant="ghost" wrap="wrap">
                  {engine.configPath}
                </Code>
              </Field>
            </DataList.Root>
          ) : (
            <ErrorText error={engine.error} />
          )}
        </HealthCard>
        <HealthCard title="Control database" ok={control.ok} testId="health-control">
          {control.ok ? (
            <DataList.Root size="2">
              <Field label="Migrations">{control.migrationsApplied} applied</Field>
              <Field label="Database">
                <Code variant="ghost" wrap="wrap">
                  {control.database}
                </Code>
              </Field>
            </DataList.Root>
          ) : (
            <ErrorText error={control.error} />
          )}
        </HealthCard>
        <HealthCard title="Server" ok testId="health-server">
          <DataList.Root size="2">
            <Field label="App">
              {app.name} {app.version}
            </Field>
            <Field label="Node.js">{app.node}</Field>
          </DataList.Root>
        </HealthCard>
      </Grid>
    </Flex>
  );
}
