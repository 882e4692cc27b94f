"use client";

export default function PageError({ error, reset }: { error: Error; reset: () => void }) {
  return (
    <div className="state error" role="alert">
      <p>This page could not be shown: {error.message}</p>
      <button type="button" onClick={reset}>
        Try again
      </button>
    </div>
  );
}
