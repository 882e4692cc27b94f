// Generates the two Prisma clients (SQLite and PostgreSQL) from prisma/schema.prisma. Run by the
// root postinstall, so a fresh `pnpm install` leaves a working data layer.
import { prisma, sourceSchema, writePostgresSchema } from "./prisma.mjs";

for (const schema of [sourceSchema, writePostgresSchema()]) {
  const { status } = prisma(["generate", "--schema", schema]);
  if (status !== 0) process.exit(status);
}
console.log("@cxr/db: generated Prisma clients for sqlite and postgresql");
