import { DatasetStudiesDocument } from "@cxr/api-client";
import Link from "next/link";
import { EmptyState, ErrorState } from "../../components/States";
import { imageSrc, sentence, serverApi } from "../../lib/api";

export const dynamic = "force-dynamic";
const PAGE = 10;

export default async function DatasetPage({
  params,
  searchParams,
}: {
  params: Promise<{ name: string }>;
  searchParams: Promise<{ after?: string; split?: string }>;
}) {
  const name = decodeURIComponent((await params).name);
  const { after, split } = await searchParams;
  let data: Awaited<ReturnType<typeof load>>;
  try {
    data = await load(name, after, split);
  } catch (error) {
    return (
      <>
        <h1>Dataset {name}</h1>
        <ErrorState>{sentence(error)}</ErrorState>
        <Link href="/datasets">All datasets</Link>
      </>
    );
  }
  const studies = data.dataset.studies;
  const base = `/datasets/${encodeURIComponent(name)}${split ? `?split=${encodeURIComponent(split)}&` : "?"}`;
  return (
    <>
      <h1>
        Dataset {name}
        {split ? `, split ${split}` : ""}
      </h1>
      <p className="muted">
        {studies.totalCount} studies. <Link href="/datasets">All datasets</Link>
        {split && (
          <>
            {" · "}
            <Link href={`/datasets/${encodeURIComponent(name)}`}>All splits</Link>
          </>
        )}
      </p>
      {studies.edges.length === 0 ? (
        <EmptyState>No study here.</EmptyState>
      ) : (
        <table>
          <caption className="visually-hidden">Studies of {name}</caption>
          <thead>
            <tr>
              <th scope="col">study</th>
              <th scope="col">split</th>
              <th scope="col">images</th>
              <th scope="col">impression</th>
              <th scope="col">findings</th>
            </tr>
          </thead>
          <tbody>
            {studies.edges.map(({ node }) => (
              <tr key={node.id}>
                <td className="mono">{node.externalId}</td>
                <td>{node.split}</td>
                <td>
                  {node.images.map((im) => (
                    <Link
                      key={im.id}
                      href={`/?q=${encodeURIComponent(`image:${im.id}`)}`}
                      title="Search with this image"
                    >
                      {/* biome-ignore lint/performance/noImgElement: API-served previews */}
                      <img
                        src={imageSrc(im.previewUrl)}
                        alt={`Search with study ${node.externalId}${im.view ? ` (${im.view})` : ""}`}
                        width={64}
                        height={64}
                        style={{ objectFit: "cover", marginRight: 4 }}
                        loading="lazy"
                      />
                    </Link>
                  ))}
                </td>
                <td>{node.report?.impression ?? "–"}</td>
                <td>{node.report?.findings ?? "–"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav className="pager" aria-label="Pages">
        {after && <Link href={base.slice(0, -1)}>First page</Link>}
        {studies.pageInfo.hasNextPage && studies.pageInfo.endCursor && (
          <Link href={`${base}after=${encodeURIComponent(studies.pageInfo.endCursor)}`}>Next page</Link>
        )}
      </nav>
    </>
  );
}

const load = (name: string, after?: string, split?: string) =>
  serverApi().request(DatasetStudiesDocument, {
    name,
    first: PAGE,
    ...(after ? { after } : {}),
    ...(split ? { split } : {}),
  });
