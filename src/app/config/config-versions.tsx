"use client";
// The saved config versions: who saved each, when, why, what changed, which one is active; a
// version's diff or document, loading it into the editor, and activating it (operators).
import { AlertDialog, Badge, Button, Card, Dialog, Flex, Heading, Skeleton, Table, Text } from "@radix-ui/themes";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ApiErrorCallout } from "@/components/api-error-callout";
import { OperatorButton } from "@/components/operator-button";
import { UnifiedDiff } from "@/components/unified-diff";
import { useActivateConfig, useConfigVersion, useConfigVersions } from "@/hooks/use-config";
import { useTRPC } from "@/trpc/client";

/** `2026-03-01 10:00 UTC`: the same on the server render and in every browser. */
export function formatVersionTime(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function VersionDialog({ id, onClose }: { id: number | null; onClose: () => void }) {
  const version = useConfigVersion(id);
  return (
    <Dialog.Root open={id !== null} onOpenChange={(open) => !open && onClose()}>
      <Dialog.Content maxWidth="880px" data-testid="version-dialog">
        <Dialog.Title>Version {id}</Dialog.Title>
        <Dialog.Description size="2" color="gray" mb="3">
          {version.data
            ? version.data.diff !== null
              ? "What this version changed against the version that was active when it was saved."
              : "Imported from the config file; there was no earlier version to compare with."
            : "Loading…"}
        </Dialog.Description>
        {version.isError ? <ApiErrorCallout error={version.error} /> : null}
        {version.data ? (
          version.data.diff !== null ? (
            <UnifiedDiff diff={version.data.diff} maxHeight={520} />
          ) : (
            <pre style={{ maxHeight: 520, overflow: "auto", margin: 0, fontSize: "var(--font-size-1)", fontFamily: "var(--code-font-family)" }}>
              {version.data.json}
            </pre>
          )
        ) : (
          <Skeleton height="240px" />
        )}
        <Flex justify="end" mt="4">
          <Dialog.Close>
            <Button variant="soft" color="gray">
              Close
            </Button>
          </Dialog.Close>
        </Flex>
      </Dialog.Content>
    </Dialog.Root>
  );
}

export function ConfigVersions({ onEdit }: { onEdit: (json: string, id: number) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const versions = useConfigVersions();
  const activate = useActivateConfig();
  const [viewing, setViewing] = useState<number | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  const edit = async (id: number) => {
    setLoadError(null);
    try {
      const v = await queryClient.fetchQuery(trpc.config.version.queryOptions({ id }, { staleTime: Infinity }));
      onEdit(v.json, v.id);
    } catch (err) {
      setLoadError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <Card size="2" data-testid="config-versions">
      <Flex direction="column" gap="3">
        <Flex direction="column" gap="1">
          <Heading as="h3" size="4">
            Versions
          </Heading>
          <Text size="2" color="gray">
            Saving creates a version; activating one writes it to the config file the engine reads, and the next run uses it.
          </Text>
        </Flex>
        {versions.isError ? <ApiErrorCallout error={versions.error} title="Could not list the versions" /> : null}
        {activate.isError ? <ApiErrorCallout error={activate.error} title="Not activated" testId="activate-error" /> : null}
        {loadError ? <ApiErrorCallout error={{ message: loadError }} title="Could not load the version" /> : null}
        {versions.isPending ? <Skeleton height="120px" /> : null}
        {versions.data && versions.data.length === 0 ? (
          <Text size="2" color="gray" data-testid="versions-empty">
            No versions yet: the config file could not be imported. Save a valid config to create the first one.
          </Text>
        ) : null}
        {versions.data && versions.data.length > 0 ? (
          <Table.Root size="1" variant="surface">
            <Table.Header>
              <Table.Row>
                <Table.ColumnHeaderCell width="64px">Version</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell width="150px">Saved</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell width="90px">Author</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Comment</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell width="90px">Changes</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell width="72px">Status</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell width="230px" justify="end">
                  Actions
                </Table.ColumnHeaderCell>
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {versions.data.map((v) => (
                <Table.Row key={v.id} align="center" data-testid="version-row" data-version={v.id} data-active={v.active || undefined}>
                  <Table.RowHeaderCell>
                    <Text weight="medium">#{v.id}</Text>
                  </Table.RowHeaderCell>
                  <Table.Cell>
                    <Text size="1" style={{ whiteSpace: "nowrap" }}>
                      {formatVersionTime(v.createdAt)}
                    </Text>
                  </Table.Cell>
                  <Table.Cell>{v.author}</Table.Cell>
                  <Table.Cell>
                    <Text size="2" color={v.comment ? undefined : "gray"} style={{ wordBreak: "break-word" }}>
                      {v.comment ?? "—"}
                    </Text>
                  </Table.Cell>
                  <Table.Cell>
                    {v.changes ? (
                      <Text size="1">
                        <Text color="green">+{v.changes.added}</Text> <Text color="red">−{v.changes.removed}</Text>
                      </Text>
                    ) : (
                      <Text size="1" color="gray">
                        imported
                      </Text>
                    )}
                  </Table.Cell>
                  <Table.Cell>
                    {v.active ? (
                      <Badge color="green" data-testid="active-badge">
                        active
                      </Badge>
                    ) : null}
                  </Table.Cell>
                  <Table.Cell justify="end">
                    <Flex gap="2" justify="end">
                      <Button size="1" variant="soft" color="gray" onClick={() => setViewing(v.id)} data-testid="view-diff">
                        {v.changes ? "Diff" : "View"}
                      </Button>
                      <Button size="1" variant="soft" color="gray" onClick={() => void edit(v.id)}>
                        Edit
                      </Button>
                      <OperatorButton
                        size="1"
                        variant="soft"
                        blockedReason={v.active ? "already active" : null}
                        onClick={() => setConfirming(v.id)}
                        data-testid="activate"
                      >
                        Activate
                      </OperatorButton>
                    </Flex>
                  </Table.Cell>
                </Table.Row>
              ))}
            </Table.Body>
          </Table.Root>
        ) : null}
      </Flex>
      <VersionDialog id={viewing} onClose={() => setViewing(null)} />
      <AlertDialog.Root open={confirming !== null} onOpenChange={(open) => !open && setConfirming(null)}>
        <AlertDialog.Content maxWidth="460px">
          <AlertDialog.Title>Activate version {confirming}?</AlertDialog.Title>
          <AlertDialog.Description size="2">
            It is written to the config file, replacing what is there; runs started from now on use it. A run already going
            keeps the config it started with.
          </AlertDialog.Description>
          <Flex gap="3" mt="4" justify="end">
            <AlertDialog.Cancel>
              <Button variant="soft" color="gray">
                Cancel
              </Button>
            </AlertDialog.Cancel>
            <AlertDialog.Action>
              <Button
                data-testid="confirm-activate"
                onClick={() => {
                  if (confirming !== null) activate.mutate({ id: confirming });
                }}
              >
                Activate
              </Button>
            </AlertDialog.Action>
          </Flex>
        </AlertDialog.Content>
      </AlertDialog.Root>
    </Card>
  );
}
