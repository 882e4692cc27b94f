import Link from "next/link";

export default function NotFound() {
  return (
    <div className="state empty">
      <p>There is nothing at this address.</p>
      <Link href="/">Back to search</Link>
    </div>
  );
}
