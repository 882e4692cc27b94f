"use client";

import { createClient, SubmitRunDocument, type SubmitRunMutation } from "@cxr/api-client";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { scopeSentence, sentence } from "../../lib/api";
import { TokenField, useToken } from "../../lib/token";

type Answer = SubmitRunMutation["submitRun"];

const REASONS: Record<string, string> = {
  PAYLOAD_TOO_LARGE: "The file is larger than the server accepts.",
  MALFORMED_JSON: "The file is not valid JSON.",
  WRONG_FORMAT: "The file's format version is not one the server reads.",
  INVALID_SHAPE: "The file does not have the shape of a run record.",
  UNSAFE_TEXT: "A name shown on the board contains characters the board refuses (markup or a formula).",
  PROTOCOL_MISMATCH: "The protocol key is not the hash of the protocol's parameters.",
  INCOMPLETE: "A result is missing: one per model, level and direction is needed.",
  QUERY_LIST_MISMATCH: "The query list differs from the server's own for this split.",
  INVALID_RANKS: "Some ranks have the wrong length or are out of range.",
  CLAIM_MISMATCH: "A claimed number differs from what the server recomputed from the ranks.",
};

export function SubmitForm() {
  const [token, setToken] = useToken();
  const [text, setText] = useState("");
  const [fileName, setFileName] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [error, setError] = useState<string | null>(null);

  const choose = async (file: File | undefined) => {
    if (!file) return;
    setFileName(`${file.name} (${(file.size / 1024).toFixed(1)} kB)`);
    setText(await file.text());
    setAnswer(null);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setAnswer(null);
    setError(null);
    try {
      const api = createClient({ endpoint: "/api", ...(token ? { token } : {}) });
      const { submitRun } = await api.request(SubmitRunDocument, { input: { recordFile: text } });
      setAnswer(submitRun);
    } catch (e) {
      setError(scopeSentence(e, "submit", token !== "") ?? sentence(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} aria-label="Submit a run record">
      <TokenField token={token} onChange={setToken} scope="submit" />
      <div className="field" style={{ margin: "0.8rem 0" }}>
        <label htmlFor="record-file">Run record file (run.json)</label>
        <input
          id="record-file"
          type="file"
          accept="application/json,.json"
          onChange={(e) => void choose(e.target.files?.[0])}
        />
        {fileName && <span className="muted">Read {fileName}.</span>}
      </div>
      <div className="field">
        <label htmlFor="record-text">…or paste its contents</label>
        <textarea
          id="record-text"
          rows={10}
          value={
            text.length > 200_000 ? `${text.slice(0, 200_000)}\n… (${text.length} characters in all)` : text
          }
          readOnly={text.length > 200_000}
          onChange={(e) => {
            setText(e.target.value);
            setFileName(null);
          }}
          spellCheck={false}
        />
      </div>
      <p>
        <button type="submit" disabled={busy || text.trim() === ""}>
          {busy ? "Checking…" : "Submit"}
        </button>
      </p>
      <div aria-live="polite" data-testid="submit-answer">
        {error && (
          <div className="state error" role="alert">
            {error}
          </div>
        )}
        {answer?.__typename === "SubmissionRefused" && (
          <div className="state error" role="alert">
            <p style={{ margin: 0 }}>
              <strong>Refused ({answer.reason}).</strong> {REASONS[answer.reason] ?? ""}{" "}
              {answer.field && (
                <>
                  The first field that differs is <code>{answer.field}</code>.
                </>
              )}
            </p>
            <p style={{ margin: "0.3rem 0 0" }}>{answer.message}</p>
            <p style={{ margin: "0.3rem 0 0" }}>Nothing was written.</p>
          </div>
        )}
        {answer?.__typename === "SubmissionAccepted" && (
          <div className="state" style={{ background: "#dcf2e3", color: "#11502a" }} role="status">
            <p style={{ margin: 0 }}>
              <strong>{answer.duplicate ? "Already accepted" : "Accepted"}.</strong>{" "}
              {answer.duplicate
                ? "This exact file was submitted before: nothing new was written."
                : "Every number was recomputed from the ranks and agrees."}
            </p>
            <ul>
              {answer.entryIds.map((id) => (
                <li key={id}>
                  <Link href={`/leaderboard/entries/${encodeURIComponent(id)}`}>Entry {id}</Link>
                </li>
              ))}
            </ul>
            <Link href={`/leaderboard?board=${encodeURIComponent(answer.boardId)}`}>Its board</Link>
          </div>
        )}
      </div>
    </form>
  );
}
