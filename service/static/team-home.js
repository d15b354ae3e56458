// /team: sign in, then links to the views.
import { main } from "./team.js";

main();
