// The Node library path for the benchmark (scripts/bench): one Node process
// loads the component once and mints BOT RUNS times back to back, after one
// warm-up mint; prints the wall time of each mint in ms as a JSON array.
// Settings come from the environment, as for raxx-node.
import { load } from '../../host/node/src/index.mjs';

const [bot, runs] = [process.argv[2], Number(process.argv[3] ?? 10)];
const raxx = await load();
await raxx.mint({ bot });
const times = [];
for (let i = 0; i < runs; i++) {
  const start = performance.now();
  await raxx.mint({ bot });
  times.push(performance.now() - start);
}
console.log(JSON.stringify(times));
process.exit(0);
