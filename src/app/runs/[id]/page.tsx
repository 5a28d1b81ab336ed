// One run: status, input, config version, counts per case, phase timings, the bucket timeline,
// attempts and errors per bucket, and a link to its audit events.
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { connection } from "next/server";
import { runIdSchema } from "@/server/api/schemas/runs";
import { HydrateClient, prefetch, trpc } from "@/trpc/server";
import { RunDetailClient } from "./client";

interface Props {
  params: Promise<{ id: string }>;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { id } = await params;
  return { title: `Run ${id}` };
}

export default async function RunPage({ params }: Props) {
  await connection();
  const parsed = runIdSchema.safeParse((await params).id);
  if (!parsed.success) notFound();
  const id = parsed.data;
  await Promise.all([prefetch(trpc.runs.get.queryOptions({ id })), prefetch(trpc.auth.whoami.queryOptions())]);
  return (
    <HydrateClient>
      <RunDetailClient id={id} />
    </HydrateClient>
  );
}
