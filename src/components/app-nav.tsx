"use client";
// The dashboard's top navigation; lists the pages that exist and marks the current one.
import { TabNav } from "@radix-ui/themes";
import Link from "next/link";
import { usePathname } from "next/navigation";

export interface NavItem {
  href: string;
  label: string;
}

export const NAV_ITEMS: readonly NavItem[] = [
  { href: "/", label: "Overview" },
  { href: "/config", label: "Config" },
  { href: "/runs", label: "Runs" },
  { href: "/audit", label: "Audit" },
  { href: "/tables", label: "Tables" },
  { href: "/inspector", label: "Inspector" },
];

function isActive(pathname: string, href: string): boolean {
  return href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);
}

export function AppNav() {
  const pathname = usePathname();
  return (
    <TabNav.Root aria-label="Sections">
      {NAV_ITEMS.map((item) => (
        <TabNav.Link key={item.href} asChild active={isActive(pathname, item.href)}>
          <Link href={item.href}>{item.label}</Link>
        </TabNav.Link>
      ))}
    </TabNav.Root>
  );
}
