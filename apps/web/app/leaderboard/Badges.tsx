import type { Provenance } from "@cxr/api-client";

const WORDS: Record<Provenance, { label: string; title: string }> = {
  VERIFIED: {
    label: "verified",
    title: "The server ran (or re-ran) the benchmark itself and got the same ranks.",
  },
  SUBMITTED: {
    label: "submitted",
    title: "Every number was recomputed from the submitted per-query ranks and they agree.",
  },
  DISPUTED: { label: "disputed", title: "A re-run on the server disagreed: see the entry's check." },
  REPORTED: { label: "reported", title: "A number from a paper, with its citation: never ranked." },
};

export function ProvenanceBadge({ provenance }: { provenance: Provenance }) {
  const w = WORDS[provenance];
  return (
    <span className={`badge prov-${provenance.toLowerCase()}`} title={w.title}>
      {w.label}
    </span>
  );
}

/** In-domain, weight license and dataset access, as small labelled flags. */
export function Flags({
  inDomain,
  license,
  access,
}: {
  inDomain: boolean;
  license: string;
  access?: string;
}) {
  return (
    <span className="flags">
      {inDomain && (
        <span className="flag flag-warn" title="Trained on this dataset's train split">
          in-domain
        </span>
      )}
      <span className="flag" title="Weight license">
        {license || "license unknown"}
      </span>
      {access && (
        <span className={`flag${access === "credentialed" ? " flag-warn" : ""}`} title="Dataset access">
          {access}
        </span>
      )}
    </span>
  );
}
