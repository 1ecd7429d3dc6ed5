import type { GqlResponse } from './client';
import type { TestServer } from './server';

/**
 * Makes the server fail in a way no resolver expects (its reaction table is dropped, as a broken
 * database would) and sends the query that then fails: the answer a client gets for a 500-class
 * fault. The server's database stays broken for the rest of the test.
 */
export async function queryBrokenDatabase(s: TestServer): Promise<GqlResponse<Record<string, unknown>>> {
  await s.db.em.getConnection().execute('drop table reaction');
  return s.client().raw(`{ node(id: "${s.demo.conversations[0].lastMessageId}") { ... on Message { id reactions { emoji } } } }`);
}
