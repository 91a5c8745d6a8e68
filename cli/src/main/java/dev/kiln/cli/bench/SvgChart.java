package dev.kiln.cli.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small SVG chart of x/y series: axes with round ticks, one colour per series, a legend. Each
 * series is a group {@code <g id="series-NAME">} of points ({@code circle}) or one {@code polyline}
 * (drawn as steps, for a count that changes at instants), so a reader (or a test) can find it.
 */
final class SvgChart {
  private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"};
  private static final int WIDTH = 800;
  private static final int HEIGHT = 420;
  private static final int LEFT = 70;
  private static final int RIGHT = 20;
  private static final int TOP = 40;
  private static final int BOTTOM = 60;

  /** A named series; {@code steps}: a line that holds its value until the next point, else points. */
  record Series(String id, String label, boolean steps, double[] x, double[] y) {}

  private final String title;
  private final String xLabel;
  private final String yLabel;
  private final List<Series> series = new ArrayList<>();

  SvgChart(String title, String xLabel, String yLabel) {
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
  }

  SvgChart add(Series s) {
    series.add(s);
    return this;
  }

  String render() {
    double xMax = 0;
    double yMax = 0;
    for (Series s : series) {
      for (double v : s.x()) {
        xMax = Math.max(xMax, v);
      }
      for (double v : s.y()) {
        yMax = Math.max(yMax, v);
      }
    }
    double xStep = niceStep(xMax);
    double yStep = niceStep(yMax);
    double xTop = Math.max(xStep, Math.ceil(xMax / xStep) * xStep);
    double yTop = Math.max(yStep, Math.ceil(yMax / yStep) * yStep);
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = HEIGHT - TOP - BOTTOM;
    StringBuilder svg = new StringBuilder();
    svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n", WIDTH, HEIGHT, WIDTH, HEIGHT));
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.append(text(WIDTH / 2.0, 22, "middle", 15, title));
    // grid and ticks
    svg.append("<g id=\"axes\" stroke=\"#ccc\" stroke-width=\"1\">\n");
    for (double v = 0; v <= xTop + xStep / 2; v += xStep) {
      double px = LEFT + v / xTop * plotW;
      svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n", px, TOP, px, TOP + plotH));
    }
    for (double v = 0; v <= yTop + yStep / 2; v += yStep) {
      double py = TOP + plotH - v / yTop * plotH;
      svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n", LEFT, py, LEFT + plotW, py));
    }
    svg.append("</g>\n<g id=\"ticks\" fill=\"#333\">\n");
    for (double v = 0; v <= xTop + xStep / 2; v += xStep) {
      svg.append(text(LEFT + v / xTop * plotW, TOP + plotH + 16, "middle", 11, number(v)));
    }
    for (double v = 0; v <= yTop + yStep / 2; v += yStep) {
      svg.append(text(LEFT - 6, TOP + plotH - v / yTop * plotH + 4, "end", 11, number(v)));
    }
    svg.append("</g>\n");
    svg.append(text(LEFT + plotW / 2.0, HEIGHT - 18, "middle", 12, xLabel));
    svg.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 16 %.1f)\">%s</text>\n",
        TOP + plotH / 2.0, TOP + plotH / 2.0, escape(yLabel)));
    for (int i = 0; i < series.size(); i++) {
      Series s = series.get(i);
      String colour = COLOURS[i % COLOURS.length];
      svg.append("<g id=\"series-").append(escape(s.id())).append("\" class=\"series\" data-label=\"")
          .append(escape(s.label())).append("\" data-points=\"").append(s.x().length).append("\">\n");
      if (s.steps()) {
        StringBuilder points = new StringBuilder();
        for (int k = 0; k < s.x().length; k++) {
          double px = LEFT + s.x()[k] / xTop * plotW;
          double py = TOP + plotH - s.y()[k] / yTop * plotH;
          if (k > 0) { // hold the previous value until this instant
            double prevY = TOP + plotH - s.y()[k - 1] / yTop * plotH;
            points.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, prevY));
          }
          points.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
        }
        svg.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"1.5\" points=\"")
            .append(points.toString().strip()).append("\"/>\n");
      } else {
        for (int k = 0; k < s.x().length; k++) {
          svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.6\" fill=\"%s\" fill-opacity=\"0.6\"/>\n",
              LEFT + s.x()[k] / xTop * plotW, TOP + plotH - s.y()[k] / yTop * plotH, colour));
        }
      }
      svg.append("</g>\n");
      double ly = TOP + 14 + i * 16;
      svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>\n",
          LEFT + plotW - 200, ly - 9, colour));
      svg.append(text(LEFT + plotW - 185, ly, "start", 12, s.label()));
    }
    svg.append("</svg>\n");
    return svg.toString();
  }

  /** 1, 2 or 5 times a power of ten, giving about five ticks up to {@code max}. */
  static double niceStep(double max) {
    if (!(max > 0)) {
      return 1;
    }
    double raw = max / 5;
    double power = Math.pow(10, Math.floor(Math.log10(raw)));
    double f = raw / power;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
  }

  private static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.3g", v);
  }

  private static String text(double x, double y, String anchor, int size, String s) {
    return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">%s</text>\n",
        x, y, anchor, size, escape(s));
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
