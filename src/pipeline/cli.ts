// `summary-pipeline` (also `npm run pipeline --`): the CLI entry; everything lives in cli/.
import { main } from "./cli/main";

process.exitCode = await main(process.argv.slice(2));
