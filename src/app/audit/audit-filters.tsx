"use client";
// The audit explorer's filter bar: run id, event types, levels, a UTC time range and free text.
// Every change goes to the URL (the page's state); the page number resets with each.
import { Button, Checkbox, DropdownMenu, Flex, Text, TextField } from "@radix-ui/themes";
import { useCallback } from "react";
import { AUDIT_LEVELS, type AuditLevel } from "@/server/api/schemas/audit";
import type { AuditTypeCount } from "@/server/services/audit";
import type { AuditSearch } from "./search-params";
import { useUrlText } from "./use-url-text";

export type AuditSearchPatch = Partial<Omit<AuditSearch, "page">>;

interface Props {
  search: AuditSearch;
  types: AuditTypeCount[];
  onChange: (patch: AuditSearchPatch) => void;
}

function FilterLabel({ htmlFor, children }: { htmlFor?: string; children: string }) {
  return (
    <Text as="label" htmlFor={htmlFor} size="1" color="gray" weight="medium">
      {children}
    </Text>
  );
}

function TypeMenu({ selected, types, onChange }: { selected: string[]; types: AuditTypeCount[]; onChange: (t: string[]) => void }) {
  // a selected type no longer present in the trail stays listed, so it can be unticked
  const names = [...new Set([...types.map((t) => t.type), ...selected])].sort();
  const counts = new Map(types.map((t) => [t.type, t.count]));
  const label = selected.length === 0 ? "All types" : selected.length === 1 ? selected[0] : `${selected.length} types`;
  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger>
        <Button variant="surface" color="gray" data-testid="filter-type" aria-label="Event types">
          {label}
          <DropdownMenu.TriggerIcon />
        </Button>
      </DropdownMenu.Trigger>
      <DropdownMenu.Content>
        {names.length === 0 ? <DropdownMenu.Item disabled>No events yet</DropdownMenu.Item> : null}
        {names.map((name) => (
          <DropdownMenu.CheckboxItem
            key={name}
            checked={selected.includes(name)}
            // keep the menu open to tick several
            onSelect={(e) => e.preventDefault()}
            onCheckedChange={(checked) => onChange(checked ? [...selected, name].sort() : selected.filter((t) => t !== name))}
            shortcut={String(counts.get(name) ?? 0)}
          >
            {name}
          </DropdownMenu.CheckboxItem>
        ))}
        {selected.length > 0 ? (
          <>
            <DropdownMenu.Separator />
            <DropdownMenu.Item onSelect={() => onChange([])}>All types</DropdownMenu.Item>
          </>
        ) : null}
      </DropdownMenu.Content>
    </DropdownMenu.Root>
  );
}

const LEVEL_COLORS: Record<AuditLevel, "blue" | "amber" | "red"> = { info: "blue", warn: "amber", error: "red" };

function LevelChecks({ selected, onChange }: { selected: AuditLevel[]; onChange: (l: AuditLevel[]) => void }) {
  return (
    <Flex gap="3" align="center" height="32px" role="group" aria-label="Levels">
      {AUDIT_LEVELS.map((level) => (
        <Text as="label" size="2" key={level}>
          <Flex gap="1" align="center">
            <Checkbox
              color={LEVEL_COLORS[level]}
              checked={selected.includes(level)}
              onCheckedChange={(c) => onChange(c === true ? AUDIT_LEVELS.filter((l) => l === level || selected.includes(l)) : selected.filter((l) => l !== level))}
              data-testid={`filter-level-${level}`}
            />
            {level}
          </Flex>
        </Text>
      ))}
    </Flex>
  );
}

export function AuditFilters({ search, types, onChange }: Props) {
  const commitRun = useCallback((v: string) => onChange({ run: v.trim() || undefined }), [onChange]);
  const commitText = useCallback((v: string) => onChange({ q: v.trim() || undefined }), [onChange]);
  const run = useUrlText(search.run ?? "", commitRun);
  const text = useUrlText(search.q ?? "", commitText);

  return (
    <Flex gap="4" wrap="wrap" align="end" data-testid="audit-filters">
      <Flex direction="column" gap="1" style={{ flex: "1 1 200px" }}>
        <FilterLabel htmlFor="audit-q">Search</FilterLabel>
        <TextField.Root
          id="audit-q"
          placeholder="message, actor, data…"
          value={text.text}
          onChange={(e) => text.setText(e.target.value)}
          onKeyDown={(e) => e.key === "Enter" && text.flush()}
          maxLength={200}
          data-testid="filter-text"
        />
      </Flex>
      <Flex direction="column" gap="1" style={{ width: 130 }}>
        <FilterLabel htmlFor="audit-run">Run</FilterLabel>
        <TextField.Root
          id="audit-run"
          placeholder="run id"
          value={run.text}
          onChange={(e) => run.setText(e.target.value)}
          onKeyDown={(e) => e.key === "Enter" && run.flush()}
          maxLength={64}
          data-testid="filter-run"
        />
      </Flex>
      <Flex direction="column" gap="1">
        <FilterLabel>Type</FilterLabel>
        <TypeMenu selected={search.type} types={types} onChange={(type) => onChange({ type })} />
      </Flex>
      <Flex direction="column" gap="1">
        <FilterLabel>Level</FilterLabel>
        <LevelChecks selected={search.level} onChange={(level) => onChange({ level })} />
      </Flex>
      <Flex direction="column" gap="1" style={{ width: 200 }}>
        <FilterLabel htmlFor="audit-from">From (UTC)</FilterLabel>
        <TextField.Root
          id="audit-from"
          type="datetime-local"
          value={search.from ?? ""}
          onChange={(e) => onChange({ from: e.target.value || undefined })}
          data-testid="filter-from"
        />
      </Flex>
      <Flex direction="column" gap="1" style={{ width: 200 }}>
        <FilterLabel htmlFor="audit-to">To (UTC)</FilterLabel>
        <TextField.Root
          id="audit-to"
          type="datetime-local"
          value={search.to ?? ""}
          onChange={(e) => onChange({ to: e.target.value || undefined })}
          data-testid="filter-to"
        />
      </Flex>
    </Flex>
  );
}
