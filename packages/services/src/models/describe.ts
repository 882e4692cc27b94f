import { ModelError } from "./errors.ts";
import { type ModelDetails, type ModelsDb, showModel } from "./registry.ts";
import { catalogueCard, type ModelSource } from "./sources.ts";

/** A model as a face shows it: registered here (manifest summary and card), or a known one not added yet. */
export type ModelDescription =
  | ({ registered: true } & ModelDetails)
  | { registered: false; id: string; card: string; source: ModelSource | null };

/**
 * `cxr models show`: the registered model's details, else the catalogue card of a known model that
 * is not registered yet (packages/encoders/models/<id>/card.md), else NOT_FOUND.
 */
export async function describeModel(db: ModelsDb, id: string): Promise<ModelDescription> {
  try {
    return { registered: true, ...(await showModel(db, id)) };
  } catch (error) {
    const known =
      error instanceof ModelError && error.code === "NOT_FOUND" ? await catalogueCard(id) : undefined;
    if (known === undefined) throw error;
    return { registered: false, id: known.id, card: known.card, source: known.source ?? null };
  }
}
