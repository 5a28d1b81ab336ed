"use client";
// A text input backed by a URL search param: typing is local and committed after a pause (or on
// Enter); a change of the URL from elsewhere (back/forward, "clear filters") replaces the text.
import { useCallback, useEffect, useState } from "react";

export const URL_TEXT_DELAY_MS = 350;

export function useUrlText(urlValue: string, commit: (value: string) => void, delayMs = URL_TEXT_DELAY_MS) {
  const [text, setText] = useState(urlValue);
  // the last URL value seen, and the last value this input pushed to the URL
  const [seen, setSeen] = useState(urlValue);
  const [committed, setCommitted] = useState(urlValue);
  if (urlValue !== seen) {
    // adjusting state while rendering (not in an effect) so the input never shows a stale value
    setSeen(urlValue);
    if (urlValue !== committed) {
      setText(urlValue);
      setCommitted(urlValue);
    }
  }

  useEffect(() => {
    if (text === committed) return;
    const timer = setTimeout(() => {
      setCommitted(text);
      commit(text);
    }, delayMs);
    return () => clearTimeout(timer);
  }, [text, committed, commit, delayMs]);

  const flush = useCallback(() => {
    if (text === committed) return;
    setCommitted(text);
    commit(text);
  }, [text, committed, commit]);

  return { text, setText, flush };
}
