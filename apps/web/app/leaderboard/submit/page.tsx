import { SubmitForm } from "./SubmitForm";

export default function SubmitPage() {
  return (
    <>
      <h1>Submit a run to the leaderboard</h1>
      <p className="muted">
        The run's record file (<code>run.json</code>, as <code>cxr bench</code> wrote it) is checked in full:
        the server recomputes every metric and interval from the per-query ranks and refuses a claim that
        differs, naming the first field. A refused submission writes nothing; the same file twice is one
        submission. From a terminal: <code>cxr submit &lt;runId&gt; --server URL --token T</code>.
      </p>
      <SubmitForm />
    </>
  );
}
