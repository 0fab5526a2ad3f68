import reactHooks from "eslint-plugin-react-hooks";
import { webConfig } from "../../../eslint.base.mjs";

export default webConfig({
  ignores: ["test-results/", "public/sw.js"],
  extra: [reactHooks.configs.flat["recommended-latest"]],
});
