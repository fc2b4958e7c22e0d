// Writes brotli (quality 11) and gzip (level 9) copies beside each compressible file of the
// client bundle (target/site). The portal's static file handler serves them to browsers that
// accept them, so a first visit gets the smallest bytes without compressing on every request:
// compressing on the fly uses a fast level, twice the size for the design system's CSS.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const root = process.argv[2] || 'target/site';
const compressible = /\.(css|js|mjs|wasm|svg|txt|json|map)$/;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* files(full);
    else if (compressible.test(name)) yield full;
  }
}

let raw = 0;
let br = 0;
for (const file of files(root)) {
  const body = readFileSync(file);
  const brotli = zlib.brotliCompressSync(body, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
  writeFileSync(`${file}.br`, brotli);
  writeFileSync(`${file}.gz`, zlib.gzipSync(body, { level: 9 }));
  raw += body.length;
  br += brotli.length;
}
console.log(`precompressed ${root}: ${raw} bytes, ${br} with brotli`);
