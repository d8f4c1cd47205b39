#!/usr/bin/env node
// Part of `npm run build`: copies the web UI's files (src/web/ui/assets/: the page, its ES modules
// and stylesheet; no build step of their own) next to the compiled server code, where
// src/web/ui/serve.ts finds them (dist/web/ui/assets/).
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../src/web/ui/assets/', import.meta.url));
const to = fileURLToPath(new URL('../dist/web/ui/assets/', import.meta.url));
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
