// ESLint flat config for the theme's JavaScript: the recommended rules, browser globals for
// the page scripts and worker globals for the search worker. `.ci/run` installs ESLint and
// runs it; by hand: npm install --no-save eslint@9 @eslint/js@9 globals@16 && npx eslint
"use strict";

const js = require("@eslint/js");
const globals = require("globals");

const script = { ecmaVersion: 2022, sourceType: "script" };

module.exports = [
  { ignores: ["target/**", "public/**", "node_modules/**", "search-wasm/**", "fuzz/**"] },
  js.configs.recommended,
  {
    files: ["themes/**/static/*.js"],
    ignores: ["themes/**/static/search-worker.js"],
    languageOptions: { ...script, globals: globals.browser },
  },
  {
    files: ["themes/**/static/search-worker.js"],
    languageOptions: { ...script, globals: globals.worker },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { ...script, sourceType: "commonjs", globals: globals.node },
  },
];
