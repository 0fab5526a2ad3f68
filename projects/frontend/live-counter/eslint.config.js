import { webConfig } from "../../../eslint.base.mjs";

export default webConfig({ ignores: [] });
