import { Suspense } from "react";
import { LoadingState } from "./components/States";
import { SearchView } from "./search/SearchView";

export default function SearchPage() {
  return (
    <>
      <h1>Search chest X-rays and reports</h1>
      <Suspense fallback={<LoadingState>Loading search…</LoadingState>}>
        <SearchView />
      </Suspense>
    </>
  );
}
