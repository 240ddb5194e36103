// `node --import` this file to install module-hooks.mjs.
import { register } from "node:module";

register(new URL("./module-hooks.mjs", import.meta.url));
