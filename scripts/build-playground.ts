// `npm run build`, second step: bundle the playground next to the compiled server (dist/playground/assets),
// so `node dist/main.js` serves it without esbuild or the TSX sources at run time.
import path from 'node:path';
import { writePrebuiltPlayground } from '../src/playground/playground';

async function main(): Promise<void> {
  const outDir = path.resolve(process.argv[2] ?? 'dist', 'playground', 'assets');
  const started = Date.now();
  const assets = await writePrebuiltPlayground(outDir);
  console.log(`Playground bundled in ${Date.now() - started} ms: ${path.relative(process.cwd(), assets.js)}, ${path.basename(assets.css)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
