"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useMemo, useState } from "react";
import { parseState, type SearchState, toParams } from "./state";

type Pending = { qs: string; state: SearchState; requested: string[] };

/**
 * The search page's state lives in the URL, so a view can be shared and reloaded. Writing it goes
 * through router.replace, which commits in a transition that may wait on a server round trip: a
 * control bound only to the URL would snap back until then (a ticked checkbox unticks itself for a
 * moment), and a quick second change would start from the stale state. So the requested state is
 * shown at once, and dropped when the URL reaches it or moves somewhere else (the back button).
 */
export function useUrlState(): [SearchState, (change: Partial<SearchState>) => void] {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const urlQs = params.toString();
  const urlState = useMemo(() => parseState(new URLSearchParams(urlQs)), [urlQs]);
  const [pending, setPending] = useState<Pending | null>(null);

  useEffect(() => {
    setPending((p) => {
      if (p === null || urlQs === p.qs) return null;
      // an earlier step of the same burst (three arrow presses on the slider) keeps the latest request
      return p.requested.includes(urlQs) ? p : null;
    });
  }, [urlQs]);

  const state = pending?.state ?? urlState;
  const update = useCallback(
    (change: Partial<SearchState>) => {
      const next = { ...state, ...change };
      const qs = toParams(next).toString();
      if (qs === urlQs) {
        setPending(null);
        return;
      }
      setPending((p) => ({ qs, state: next, requested: [...(p?.requested ?? []), qs] }));
      router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
    },
    [state, urlQs, router, pathname],
  );
  return [state, update];
}
