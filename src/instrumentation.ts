// Runs once when the server starts: makes sure the operator token exists, so a new one is printed
// at start-up (once) rather than at the first request that needs it.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { operatorTokenState } = await import("./server/auth");
    operatorTokenState();
  }
}
