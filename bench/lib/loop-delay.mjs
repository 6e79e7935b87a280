// The event loop delay of a server process under test (perf_hooks, 1 ms resolution): how long
// the loop was blocked, by its own work or by not getting a CPU. Read between runs over IPC, so
// a slow answer can be told apart as the server's stall or the machine's (a bench compares it
// with the latencies its load generator saw).
import { monitorEventLoopDelay } from 'node:perf_hooks'

/** Starts the histogram and answers `loop-delay-reset` and `loop-delay-read` messages. */
export function watchLoopDelay() {
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  histogram.enable()
  const ms = (ns) => ns / 1e6
  return {
    answer(message) {
      if (message?.type === 'loop-delay-reset') {
        histogram.reset()
        process.send({ type: 'loop-delay-reset' })
      }
      if (message?.type === 'loop-delay-read') {
        process.send({ type: 'loop-delay', delay: { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) } })
      }
    },
  }
}
