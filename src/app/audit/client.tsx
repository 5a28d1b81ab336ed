"use client";
// The audit explorer: filters in the URL, one page of the trail, the CSV export of the same filters.
import { Button, Callout, Card, Flex, Skeleton, Text } from "@radix-ui/themes";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";
import { ApiErrorCallout } from "@/components/api-error-callout";
import { useAuditEvents, useAuditTypes } from "@/hooks/use-audit";
import { AuditFilters, type AuditSearchPatch } from "./audit-filters";
import { AuditPager, AuditTable } from "./audit-table";
import { auditListInput, auditSearchString, hasAuditFilters, parseAuditSearch, type AuditSearch } from "./search-params";

function DownloadIcon() {
  return (
    <svg width="15" height="15" viewBox="0 0 15 15" aria-hidden>
      <path d="M7.5 2v8M4 6.8l3.5 3.4L11 6.8M2.5 12.5h10" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

function EmptyState({ filtered, onClear }: { filtered: boolean; onClear: () => void }) {
  return (
    <Card size="3" data-testid="audit-empty">
      <Flex direction="column" align="center" gap="2" py="4">
        <Text size="3" weight="medium">
          {filtered ? "No events match these filters" : "The audit trail is empty"}
        </Text>
        <Text size="2" color="gray" align="center">
          {filtered
            ? "Widen the time range, untick a type or level, or clear the search."
            : "Events appear here when runs start and finish, buckets are attempted, the config is saved or activated, and when a request is refused."}
        </Text>
        {filtered ? (
          <Button variant="soft" onClick={onClear} mt="2">
            Clear filters
          </Button>
        ) : null}
      </Flex>
    </Card>
  );
}

export function AuditExplorer() {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const { search, invalid } = useMemo(() => parseAuditSearch(new URLSearchParams(params.toString())), [params]);
  const events = useAuditEvents(auditListInput(search));
  const types = useAuditTypes();

  const navigate = useCallback(
    (next: Partial<AuditSearch>) => {
      const qs = auditSearchString(next);
      router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
    },
    [router, pathname],
  );
  // filters change the result set: back to its first page
  const onChange = useCallback((patch: AuditSearchPatch) => navigate({ ...search, ...patch, page: undefined }), [navigate, search]);
  const onClear = useCallback(() => navigate({}), [navigate]);
  const exportQuery = auditSearchString({ ...search, page: undefined });
  const exportHref = `/api/audit/export${exportQuery ? `?${exportQuery}` : ""}`;

  return (
    <Flex direction="column" gap="4">
      <Card size="2">
        <AuditFilters search={search} types={types.data ?? []} onChange={onChange} />
      </Card>
      {invalid.length > 0 ? (
        <Callout.Root color="amber" size="1" data-testid="audit-invalid-params">
          <Callout.Text>Ignored invalid filter{invalid.length === 1 ? "" : "s"} in the address: {invalid.join(", ")}.</Callout.Text>
        </Callout.Root>
      ) : null}
      {events.isError ? <ApiErrorCallout error={events.error} title="Could not read the audit trail" /> : null}
      {events.isPending ? (
        <Skeleton height="320px" />
      ) : events.data ? (
        <Flex direction="column" gap="3" style={{ opacity: events.isPlaceholderData ? 0.6 : 1, transition: "opacity 120ms" }}>
          <Flex justify="between" align="center" gap="3">
            <AuditPager {...events.data} onPage={(page) => navigate({ ...search, page })} />
            <Flex gap="4" align="center">
              <Button variant="ghost" color="gray" onClick={onClear} disabled={!hasAuditFilters(search)} data-testid="filter-clear">
                Clear filters
              </Button>
              <Button asChild variant="soft" size="2">
                <a href={exportHref} download data-testid="audit-export">
                  <DownloadIcon />
                  Export CSV
                </a>
              </Button>
            </Flex>
          </Flex>
          {events.data.total === 0 ? (
            <EmptyState filtered={hasAuditFilters(search)} onClear={onClear} />
          ) : (
            <AuditTable events={events.data.events} />
          )}
        </Flex>
      ) : null}
    </Flex>
  );
}
