import { Logger } from '@nestjs/common';
import * as echarts from 'echarts';
import { HOUR_MS, type WeekBar } from './delivery.rules';

const WIDTH = 900;
const HEIGHT = 420;

/**
 * The chart of /stats as a PNG: deployments per week stacked by outcome, and the median lead time
 * per week (hours, right axis). Drawn as SVG by ECharts' server-side renderer and rasterised by
 * resvg (no native canvas, no browser); text in DejaVu Sans or the system's sans-serif.
 * Undefined when resvg's binary for this platform is not installed (an install without its
 * optional dependencies): the answer then goes without the chart.
 */
export async function statsChart(title: string, weeks: WeekBar[]): Promise<Buffer | undefined> {
  const Resvg = await resvg();
  if (!Resvg) return undefined;
  const chart = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: WIDTH,
    height: HEIGHT,
  });
  try {
    const labels = weeks.map((week) => week.from.toISOString().slice(5, 10));
    const bar = (name: string, data: number[], color: string) => ({
      name,
      type: 'bar' as const,
      stack: 'deployments',
      data,
      itemStyle: { color },
    });
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      textStyle: { fontFamily: 'DejaVu Sans, sans-serif' },
      title: { text: title, left: 'center', textStyle: { fontSize: 15 } },
      legend: { bottom: 0 },
      grid: { left: 50, right: 60, top: 50, bottom: 60 },
      xAxis: { type: 'category', data: labels },
      yAxis: [
        { type: 'value', name: 'deployments', minInterval: 1 },
        { type: 'value', name: 'lead time (h)', splitLine: { show: false } },
      ],
      series: [
        bar(
          'succeeded',
          weeks.map((w) => w.succeeded),
          '#2e7d32',
        ),
        bar(
          'failed change',
          weeks.map((w) => w.failedChanges),
          '#c62828',
        ),
        bar(
          'rollback',
          weeks.map((w) => w.rollbacks),
          '#ef6c00',
        ),
        bar(
          'failed run',
          weeks.map((w) => w.failedRuns),
          '#757575',
        ),
        {
          name: 'lead time median',
          type: 'line',
          yAxisIndex: 1,
          connectNulls: true,
          data: weeks.map((w) =>
            w.leadTimeMedianMs === undefined
              ? null
              : Math.round((w.leadTimeMedianMs / HOUR_MS) * 10) / 10,
          ),
          itemStyle: { color: '#1565c0' },
        },
      ],
    });
    const svg = chart.renderToSVGString();
    return new Resvg(svg, {
      background: '#ffffff',
      font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    })
      .render()
      .asPng();
  } finally {
    chart.dispose();
  }
}

let loaded: Promise<typeof import('@resvg/resvg-js').Resvg | undefined> | undefined;

/** resvg, loaded on first use; undefined (once logged) when its native binary is missing. */
function resvg(): Promise<typeof import('@resvg/resvg-js').Resvg | undefined> {
  loaded ??= import('@resvg/resvg-js').then(
    (module) => module.Resvg,
    (error: Error) => {
      new Logger('StatsChart').warn(
        `No chart: resvg's binary for this platform is not installed (${error.message.split('\n')[0]})`,
      );
      return undefined;
    },
  );
  return loaded;
}
