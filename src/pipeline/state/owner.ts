// A run's owner is `host:pid`, the process that runs it: whether it is still alive tells a run
// that is running from one whose process is gone (killed, crashed) and left it marked running.
import os from "node:os";

/** Whether a `host:pid` owner names a live process (other hosts are assumed alive). */
export function ownerIsAlive(owner: string | null): boolean {
  if (!owner) return false;
  const [host, pidText] = owner.split(":");
  if (host !== os.hostname()) return true;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
