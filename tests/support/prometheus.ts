/**
 * A strict reader of the Prometheus text exposition (format 0.0.4): every line must be a HELP, a
 * TYPE or a sample, every sample's family must have been TYPEd, or it throws naming the line.
 */

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const HELP = new RegExp(`^# HELP (${NAME}) .*$`)
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`)
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (-?(?:\\d+(?:\\.\\d+)?(?:e[+-]?\\d+)?|[+-]?[Ii]nf|[Nn]a[Nn]))(?: -?\\d+)?$`)
const LABEL = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"(?:,|$)/y
// Go's ParseFloat, which Prometheus uses, takes NaN and Inf in any case (prom-client prints `Nan`).
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created']

export function parseExposition(text: string): { samples: Sample[], types: Map<string, string> } {
  const types = new Map<string, string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    if (line.startsWith('# HELP ')) {
      if (!HELP.test(line)) throw new Error(`bad HELP line: ${line}`)
      continue
    }
    const type = TYPE.exec(line)
    if (type) {
      types.set(type[1]!, type[2]!)
      continue
    }
    const sample = SAMPLE.exec(line)
    if (!sample) throw new Error(`not a sample: ${line}`)
    const [, name = '', rawLabels = '', value = ''] = sample
    const family = types.has(name) ? name : SUFFIXES.map(s => (name.endsWith(s) ? name.slice(0, -s.length) : '')).find(f => f && types.has(f))
    if (!family) throw new Error(`sample of an undeclared family: ${line}`)
    const labels: Record<string, string> = {}
    LABEL.lastIndex = 0
    while (LABEL.lastIndex < rawLabels.length) {
      const m = LABEL.exec(rawLabels)
      if (!m) throw new Error(`bad labels: ${line}`)
      labels[m[1]!] = m[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c))
    }
    samples.push({ name, labels, value: Number(value) })
  }
  return { samples, types }
}

/** The value of the one sample named `name` whose labels include `labels`, or undefined. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
}
