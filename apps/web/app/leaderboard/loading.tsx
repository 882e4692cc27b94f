export default function Loading() {
  return (
    <p className="state loading" role="status">
      Ranking the board…
    </p>
  );
}
