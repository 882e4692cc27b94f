import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "cxr-retrieval",
  description: "Search chest X-rays and reports with models side by side; occlusion-robustness runs.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="top">
          <Link href="/" className="brand">
            cxr-retrieval
          </Link>
          <nav aria-label="Main">
            <Link href="/">Search</Link>
            <Link href="/leaderboard">Leaderboard</Link>
            <Link href="/runs">Runs</Link>
            <Link href="/models">Models</Link>
            <Link href="/datasets">Datasets</Link>
            <Link href="/jobs">Jobs</Link>
          </nav>
          <span className="muted" style={{ marginLeft: "auto", fontSize: "0.85rem" }}>
            Research tool on synthetic or licensed data. Not for diagnosis.
          </span>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
