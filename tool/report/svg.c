/* svg.c - the SVG chart writer (see svg.h).
 *
 * Every chart is laid out in a fixed coordinate box (viewBox) that the page
 * scales to its width, so positions are computed once, in pixels of that
 * box. An axis maps values to pixels through struct axis; its range is
 * widened to round tick values (1-2-5 steps on linear axes, powers of ten,
 * or of two for sizes, on logarithmic ones) so the ticks land on the
 * range's ends.
 *
 * The <svg> elements carry no xmlns: inside HTML the parser puts them in
 * the SVG namespace, and the page then holds no URL at all.
 */
#include "report/svg.h"

#include "report/escape.h"
#include "report/report.h"
#include "report/units.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define MAX_TICKS 24

/* Okabe-Ito's blue and vermilion, told apart by colour-blind readers and
 * in grey print: thread, process; grey for the rest. Nothing else takes a
 * colour, so a colour always says the kind. */
static const char *const palette[] = { "#0072b2", "#d55e00", "#666666" };
#define LIMIT_GREY "#555"

const char *svg_colour(int colour)
{
	return colour == SVG_THREAD    ? palette[0]
	       : colour == SVG_PROCESS ? palette[1]
				       : palette[2];
}

static const char *scale_name(enum svg_scale scale)
{
	return scale == SVG_LOG ? "log" : "linear";
}

struct axis {
	enum svg_scale scale;
	double base; /* of a log axis: 10, or 2 for sizes */
	double lo, hi;
	double px0, px1; /* pixels of lo and hi */
	double ticks[MAX_TICKS];
	size_t n_ticks;
};

static bool drawable(const struct axis *a, double v)
{
	return isfinite(v) && (a->scale == SVG_LINEAR || v > 0);
}

static double map(const struct axis *a, double v)
{
	double f;

	if (a->scale == SVG_LOG)
		f = (log(v) - log(a->lo)) / (log(a->hi) - log(a->lo));
	else
		f = (v - a->lo) / (a->hi - a->lo);
	return a->px0 + f * (a->px1 - a->px0);
}

/* The 1-2-5 step that cuts span into at most about six intervals. */
static double nice_step(double span)
{
	double raw = span / 6, mag = pow(10, floor(log10(raw)));
	double f = raw / mag;

	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static void linear_ticks(struct axis *a, double min, double max,
			 const char *unit)
{
	double step;

	if (min > 0)
		min = 0; /* lengths and rates read honestly from zero */
	if (max <= min)
		max = min + 1;
	/* Sizes step in powers of two (128 KiB, 1 MiB, 8 MiB), so ticks
	 * read as round numbers of KiB or MiB. */
	if (report_unit_is_bytes(unit))
		step = pow(2, ceil(log2((max - min) / 8)));
	else
		step = nice_step(max - min);
	a->lo = floor(min / step) * step;
	a->hi = ceil(max / step) * step;
	a->n_ticks = 0;
	for (int i = 0; a->n_ticks < MAX_TICKS; i++) {
		double t = a->lo + i * step;

		if (t > a->hi + step / 2)
			break;
		a->ticks[a->n_ticks++] = fabs(t) < step / 1e6 ? 0 : t;
	}
}

static void log_ticks(struct axis *a, double min, double max)
{
	/* Room for a label of "512 KiB" every 55 pixels. */
	int max_ticks = (int)(fabs(a->px1 - a->px0) / 55);
	double b = a->base;
	int e0 = (int)floor(log(min) / log(b) + 1e-9);
	int e1 = (int)ceil(log(max) / log(b) - 1e-9);
	int stride = 1;

	if (e1 <= e0)
		e1 = e0 + 1;
	while ((e1 - e0) / stride > max_ticks)
		stride++;
	/* Whole strides, so the last tick is the top of the axis. */
	e1 = e0 + ((e1 - e0 + stride - 1) / stride) * stride;
	a->lo = pow(b, e0);
	a->hi = pow(b, e1);
	a->n_ticks = 0;
	for (int e = e0; e <= e1 && a->n_ticks < MAX_TICKS; e += stride) {
		a->ticks[a->n_ticks++] = pow(b, e);
		/* Few decades: 2 and 5 in between, so the axis can be read. */
		if (b == 10 && e1 - e0 <= 2 && e < e1) {
			a->ticks[a->n_ticks++] = 2 * pow(b, e);
			a->ticks[a->n_ticks++] = 5 * pow(b, e);
		}
	}
}

/* Sets the axis range from the values seen (min/max of the drawable ones;
 * min > max when there were none). */
static void axis_fit(struct axis *a, const struct svg_axis *spec, double min,
		     double max, double px0, double px1)
{
	a->scale = spec->scale;
	a->base = report_unit_is_bytes(spec->unit) ? 2 : 10;
	a->px0 = px0;
	a->px1 = px1;
	if (min > max) {
		min = a->scale == SVG_LOG ? 1 : 0;
		max = a->scale == SVG_LOG ? 10 : 1;
	}
	if (a->scale == SVG_LOG)
		log_ticks(a, min, max);
	else
		linear_ticks(a, min, max, spec->unit);
}

static void widen(const struct axis *a, double v, double *min, double *max)
{
	if (!drawable(a, v))
		return;
	if (v < *min)
		*min = v;
	if (v > *max)
		*max = v;
}

static void text(FILE *out, double x, double y, const char *anchor,
		 const char *extra, const char *s)
{
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>", x, y,
		anchor, extra ? extra : "");
	xml_puts(out, s);
	fputs("</text>\n", out);
}

/* Text cut to max bytes (at a character boundary) with an ellipsis; the
 * whole text is then its tooltip. */
static void text_cut(FILE *out, double x, double y, const char *anchor,
		     const char *extra, const char *s, size_t max)
{
	size_t n = strlen(s);
	char cut[128];

	if (n <= max || max >= sizeof(cut)) {
		text(out, x, y, anchor, extra, s);
		return;
	}
	/* Back up to the start of a UTF-8 character. */
	n = max - 1;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(cut, s, n);
	cut[n] = '\0';
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>", x, y,
		anchor, extra ? extra : "");
	xml_puts(out, cut);
	fputs("…<title>", out);
	xml_puts(out, s);
	fputs("</title></text>\n", out);
}

#define TITLE_CHARS 92 /* of 14 px bold in the 760 px box */
#define TITLE_LINES 3
#define TITLE_STEP  17

/* Splits title at spaces into lines of at most TITLE_CHARS bytes (a word
 * longer than that is a line of its own). Returns the number of lines. */
static size_t wrap_title(const char *title, size_t start[TITLE_LINES],
			 size_t len[TITLE_LINES])
{
	size_t n = 0, at = 0, total = strlen(title);

	while (at < total && n < TITLE_LINES) {
		size_t end = at + TITLE_CHARS;

		if (end >= total || n == TITLE_LINES - 1) {
			end = total;
		} else {
			while (end > at && title[end] != ' ')
				end--;
			if (end == at)
				end = at + TITLE_CHARS;
		}
		start[n] = at;
		len[n++] = end - at;
		at = end;
		while (at < total && title[at] == ' ')
			at++;
	}
	return n ? n : 1;
}

/* Opens the chart: its box of w x h pixels, grown by the title's extra
 * lines, which are never cut. The content that follows is drawn as if the
 * title had one line; svg_close() ends it. */
static void svg_open(FILE *out, const char *id, const char *title, double w,
		     double h, const char *shape, enum svg_scale x,
		     enum svg_scale y)
{
	size_t start[TITLE_LINES] = { 0 }, len[TITLE_LINES] = { 0 };
	size_t lines = wrap_title(title, start, len);
	double extra = TITLE_STEP * (double)(lines - 1);
	char line[512];

	fprintf(out,
		"<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" "
		"role=\"img\" data-shape=\"%s\" data-x-scale=\"%s\" "
		"data-y-scale=\"%s\"",
		w, h + extra, shape, scale_name(x), scale_name(y));
	if (id) {
		fputs(" id=\"", out);
		xml_puts(out, id);
		fputs("\"", out);
	}
	fputs(" font-family=\"system-ui, sans-serif\" font-size=\"12\">\n"
	      "<title>",
	      out);
	xml_puts(out, title);
	fputs("</title>\n", out);
	fprintf(out, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n",
		w, h + extra);
	for (size_t i = 0; i < lines; i++) {
		size_t n = len[i] < sizeof(line) ? len[i] : sizeof(line) - 1;

		memcpy(line, title + start[i], n);
		line[n] = '\0';
		text(out, 12, 20 + TITLE_STEP * (double)i, "start",
		     " font-weight=\"bold\" font-size=\"14\"", line);
	}
	fprintf(out, "<g transform=\"translate(0 %.0f)\">\n", extra);
}

static void svg_close(FILE *out)
{
	fputs("</g>\n</svg>\n", out);
}

static const char *dash_of(enum svg_style style)
{
	switch (style) {
	case SVG_PEER:
		return " stroke-dasharray=\"5 3\"";
	case SVG_LIMIT:
		return " stroke-dasharray=\"8 4\"";
	case SVG_SOLID:
		break;
	}
	return "";
}

static const char *stroke_of(const struct svg_series *s)
{
	return s->style == SVG_LIMIT ? LIMIT_GREY : svg_colour(s->colour);
}

/* A peer's marks are hollow: white inside, outlined in its kind's colour. */
static const char *fill_of(const struct svg_series *s)
{
	return s->style == SVG_PEER ? "#fff" : stroke_of(s);
}

static void series_open(FILE *out, const struct svg_series *s)
{
	fputs("<g class=\"series\" data-kind=\"", out);
	xml_puts(out, s->style == SVG_LIMIT ? "limit"
		      : s->kind		    ? s->kind
					    : "none");
	fprintf(out, "\" data-peer=\"%s\">\n",
		s->style == SVG_PEER ? "yes" : "no");
}

/* Opens the marker of shape at (x, y), radius r; the caller may put a
 * <title> in it and closes it with marker_close(). */
static const char *marker_open(FILE *out, int shape, double x, double y,
			       double r, const char *fill, const char *stroke)
{
	switch (((shape % 4) + 4) % 4) {
	case 1:
		fprintf(out,
			"<rect class=\"marker\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
			"stroke=\"%s\" stroke-width=\"1.5\">",
			x - r * 0.9, y - r * 0.9, 1.8 * r, 1.8 * r, fill,
			stroke);
		return "</rect>";
	case 2:
		fprintf(out,
			"<polygon class=\"marker\" points=\"%.1f,%.1f "
			"%.1f,%.1f "
			"%.1f,%.1f\" fill=\"%s\" stroke=\"%s\" "
			"stroke-width=\"1.5\">",
			x, y - 1.2 * r, x - 1.1 * r, y + 0.8 * r, x + 1.1 * r,
			y + 0.8 * r, fill, stroke);
		return "</polygon>";
	case 3:
		fprintf(out,
			"<polygon class=\"marker\" points=\"%.1f,%.1f "
			"%.1f,%.1f "
			"%.1f,%.1f %.1f,%.1f\" fill=\"%s\" stroke=\"%s\" "
			"stroke-width=\"1.5\">",
			x, y - 1.3 * r, x + 1.1 * r, y, x, y + 1.3 * r,
			x - 1.1 * r, y, fill, stroke);
		return "</polygon>";
	default:
		fprintf(out,
			"<circle class=\"marker\" cx=\"%.1f\" cy=\"%.1f\" "
			"r=\"%.1f\" fill=\"%s\" stroke=\"%s\" "
			"stroke-width=\"1.5\">",
			x, y, r, fill, stroke);
		return "</circle>";
	}
}

/* A legend entry at (x, y): a short line in the series' style with its
 * marker (a swatch like its bars, for bar charts), and its name. */
static void legend_entry(FILE *out, double x, double y,
			 const struct svg_series *s, bool swatch)
{
	series_open(out, s);
	if (swatch && s->style != SVG_LIMIT) {
		fprintf(out,
			"<rect class=\"swatch\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"18\" height=\"10\" fill=\"%s\" "
			"stroke=\"%s\" stroke-width=\"2\"/>\n",
			x + 2, y - 10, fill_of(s), stroke_of(s));
	} else {
		fprintf(out,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%s\"%s/>\n",
			x, y - 4, x + 22, y - 4, stroke_of(s),
			s->style == SVG_LIMIT ? "3" : "2", dash_of(s->style));
		if (s->style != SVG_LIMIT)
			fprintf(out, "%s\n",
				marker_open(out, s->marker, x + 11, y - 4, 3.5,
					    fill_of(s), stroke_of(s)));
	}
	text(out, x + 28, y, "start", NULL, s->name);
	fputs("</g>\n", out);
}

/* Grid lines and tick labels of a horizontal (x) or vertical (y) axis,
 * across the plot box [x0,x1]x[y0,y1]. */
static void grid(FILE *out, const struct axis *a, const char *unit,
		 bool horizontal_axis, double x0, double y0, double x1,
		 double y1)
{
	char label[48];

	for (size_t i = 0; i < a->n_ticks; i++) {
		double p = map(a, a->ticks[i]);

		fmt_tick(a->ticks[i], unit, label, sizeof(label));
		if (horizontal_axis) {
			fprintf(out,
				"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n",
				p, y0, p, y1);
			text(out, p, y1 + 16, "middle", NULL, label);
		} else {
			fprintf(out,
				"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n",
				x0, p, x1, p);
			text(out, x0 - 6, p + 4, "end", NULL, label);
		}
	}
	fprintf(out,
		"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		"fill=\"none\" stroke=\"#888\"/>\n",
		x0, y0, x1 - x0, y1 - y0);
}

static void point_title(FILE *out, const struct svg_series *s, size_t i,
			const struct svg_axis *xs, const struct svg_axis *ys)
{
	char xv[48], yv[48], lo[48], hi[48];

	fmt_tick(s->x[i], xs->unit, xv, sizeof(xv));
	format_value(s->y[i], ys->unit, yv, sizeof(yv));
	fputs("<title>", out);
	xml_printf(out, "%s at %s: %s", s->name, xv, yv);
	if (s->lo && s->hi && isfinite(s->lo[i]) && isfinite(s->hi[i]))
		xml_printf(out, " (95%% CI %s to %s)",
			   format_value(s->lo[i], ys->unit, lo, sizeof(lo)),
			   format_value(s->hi[i], ys->unit, hi, sizeof(hi)));
	fputs("</title>", out);
}

/* Whether the points i and i + 1 of s can be drawn. */
static bool point_drawable(const struct svg_series *s, size_t i,
			   const struct axis *ax, const struct axis *ay)
{
	return i < s->n && drawable(ax, s->x[i]) && drawable(ay, s->y[i]);
}

/* The line through s's points, broken where a point cannot be drawn; a
 * stretch of fewer than three points gets no line: two points joined
 * would claim a trend across the whole sweep that nothing measured. */
static void plot_line(FILE *out, const struct svg_series *s,
		      const struct axis *ax, const struct axis *ay)
{
	for (size_t i = 0; i < s->n;) {
		size_t end = i;

		while (point_drawable(s, end, ax, ay))
			end++;
		if (end - i >= 3) {
			fprintf(out,
				"<polyline fill=\"none\" stroke=\"%s\" "
				"stroke-width=\"%s\"%s points=\"",
				stroke_of(s), s->style == SVG_LIMIT ? "3" : "2",
				dash_of(s->style));
			for (size_t k = i; k < end; k++)
				fprintf(out, "%s%.1f,%.1f", k > i ? " " : "",
					map(ax, s->x[k]), map(ay, s->y[k]));
			fputs("\"/>\n", out);
		}
		i = end > i ? end : i + 1;
	}
}

static void plot_series(FILE *out, const struct svg_plot *p,
			const struct svg_series *s, const struct axis *ax,
			const struct axis *ay)
{
	const char *colour = stroke_of(s);

	series_open(out, s);
	plot_line(out, s, ax, ay);
	for (size_t i = 0; i < s->n; i++) {
		double px, py;

		if (!drawable(ax, s->x[i]) || !drawable(ay, s->y[i]))
			continue;
		px = map(ax, s->x[i]);
		py = map(ay, s->y[i]);
		if (s->lo && s->hi && drawable(ay, s->lo[i]) &&
		    drawable(ay, s->hi[i]))
			fprintf(out,
				"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\" stroke=\"%s\"/>\n",
				px, map(ay, s->lo[i]), px, map(ay, s->hi[i]),
				colour);
		{
			const char *close = marker_open(
				out, s->style == SVG_LIMIT ? 0 : s->marker, px,
				py, s->style == SVG_LIMIT ? 2 : 3.5, fill_of(s),
				colour);

			point_title(out, s, i, &p->x, &p->y);
			fputs(close, out);
			fputc('\n', out);
		}
	}
	fputs("</g>\n", out);
}

static void plot_rule(FILE *out, const struct svg_rule *r,
		      const struct axis *ax, const struct axis *ay)
{
	const char *colour = r->style == SVG_LIMIT ? LIMIT_GREY : "#7a0177";
	double x0 = ax->px0, x1 = ax->px1, y0 = ay->px0, y1 = ay->px1;

	if (!drawable(r->vertical ? ax : ay, r->value))
		return;
	if (r->vertical)
		x0 = x1 = map(ax, r->value);
	else
		y0 = y1 = map(ay, r->value);
	fprintf(out,
		"<g class=\"rule\" data-kind=\"%s\">\n<line x1=\"%.1f\" "
		"y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
		"stroke-width=\"2\"%s/>\n",
		r->style == SVG_LIMIT ? "limit" : "mark", x0, y0, x1, y1,
		colour, dash_of(SVG_LIMIT));
	if (r->vertical)
		text(out, x0 + 4, y1 + 14, "start", " fill=\"#333\"", r->label);
	else
		text(out, x1 - 4, y0 - 5, "end", " fill=\"#333\"", r->label);
	fputs("</g>\n", out);
}

int svg_plot(FILE *out, const struct svg_plot *plot)
{
	const double w = 760, h = 400, left = 84, top = 40, bottom = 340;
	double right = 560;
	double xmin = INFINITY, xmax = -INFINITY;
	double ymin = INFINITY, ymax = -INFINITY;
	struct axis ax = { .scale = plot->x.scale },
		    ay = { .scale = plot->y.scale };

	if (!plot->n_series && !plot->n_rules)
		return -EINVAL;
	/* Long series names take room from the plot, not from the page. */
	for (size_t s = 0; s < plot->n_series; s++) {
		double need =
			w - 16 - 28 - 7 * (double)strlen(plot->series[s].name);

		if (need - 16 < right)
			right = need - 16 > 420 ? need - 16 : 420;
	}
	for (size_t s = 0; s < plot->n_series; s++) {
		const struct svg_series *se = &plot->series[s];

		for (size_t i = 0; i < se->n; i++) {
			widen(&ax, se->x[i], &xmin, &xmax);
			widen(&ay, se->y[i], &ymin, &ymax);
			if (se->lo && se->hi) {
				widen(&ay, se->lo[i], &ymin, &ymax);
				widen(&ay, se->hi[i], &ymin, &ymax);
			}
		}
	}
	for (size_t r = 0; r < plot->n_rules; r++)
		if (plot->rules[r].vertical)
			widen(&ax, plot->rules[r].value, &xmin, &xmax);
		else
			widen(&ay, plot->rules[r].value, &ymin, &ymax);
	axis_fit(&ax, &plot->x, xmin, xmax, left, right);
	axis_fit(&ay, &plot->y, ymin, ymax, bottom, top);

	svg_open(out, plot->id, plot->title, w, h, "plot", plot->x.scale,
		 plot->y.scale);
	grid(out, &ax, plot->x.unit, true, left, top, right, bottom);
	grid(out, &ay, plot->y.unit, false, left, top, right, bottom);
	text(out, (left + right) / 2, h - 20, "middle", NULL, plot->x.label);
	fprintf(out,
		"<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" "
		"transform=\"rotate(-90 16 %.1f)\">",
		(top + bottom) / 2, (top + bottom) / 2);
	xml_puts(out, plot->y.label);
	fputs("</text>\n", out);
	if (plot->x.scale == SVG_LOG || plot->y.scale == SVG_LOG) {
		bool x_log = plot->x.scale == SVG_LOG;
		bool y_log = plot->y.scale == SVG_LOG;

		text(out, right, h - 4, "end",
		     " fill=\"#666\" font-size=\"10\"",
		     x_log && y_log ? "both axes logarithmic"
		     : x_log	    ? "x axis logarithmic"
				    : "y axis logarithmic");
	}

	for (size_t r = 0; r < plot->n_rules; r++)
		plot_rule(out, &plot->rules[r], &ax, &ay);
	for (size_t s = 0; s < plot->n_series; s++)
		plot_series(out, plot, &plot->series[s], &ax, &ay);
	for (size_t s = 0; s < plot->n_series; s++)
		legend_entry(out, right + 16, top + 10 + 18 * (double)s,
			     &plot->series[s], false);
	svg_close(out);
	return ferror(out) ? -EIO : 0;
}

/* One value of a series in a group: on a linear axis a bar from zero; on
 * a logarithmic one a dot, since a bar's length there means nothing (20 us
 * against 634 us looked like 4x, not 32x). Its whisker is the interval. */
static void bar(FILE *out, const struct svg_bars *b, const struct axis *ax,
		const struct svg_series *se, size_t c, double y, double h)
{
	const char *colour = stroke_of(se);
	double x0 = ax->px0, x1 = x0, label_x;
	bool dots = b->value.scale == SVG_LOG;
	char v[48];

	/* A value the axis cannot show (0 on a logarithmic axis) gets no
	 * mark, only its label. */
	if (drawable(ax, se->y[c]))
		x1 = map(ax, se->y[c]);
	format_value(se->y[c], b->value.unit, v, sizeof(v));
	series_open(out, se);
	if (se->lo && se->hi && drawable(ax, se->lo[c]) &&
	    drawable(ax, se->hi[c]))
		fprintf(out,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"%s\"/>\n",
			map(ax, se->lo[c]), y + h / 2, map(ax, se->hi[c]),
			y + h / 2, dots ? colour : "#222");
	if (dots) {
		if (drawable(ax, se->y[c])) {
			const char *close =
				marker_open(out, se->marker, x1, y + h / 2, 4.5,
					    fill_of(se), colour);

			fputs("<title>", out);
			xml_printf(out, "%s, %s: %s", b->categories[c],
				   se->name, v);
			fprintf(out, "</title>%s\n", close);
		}
		label_x = x1 + 8;
	} else {
		fprintf(out,
			"<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
			"stroke=\"%s\" stroke-width=\"%s\"><title>",
			x0, y, x1 - x0 > 1 ? x1 - x0 : 1, h, fill_of(se),
			colour, se->style == SVG_PEER ? "2" : "0");
		xml_printf(out, "%s, %s: %s", b->categories[c], se->name, v);
		fputs("</title></rect>\n", out);
		label_x = x1 + 4;
	}
	text(out, label_x, y + h - 2, "start", " font-size=\"11\"", v);
	fputs("</g>\n", out);
}

/* A limit across the groups: a grey dashed line at its value, labelled at
 * the top. */
static void bars_rule(FILE *out, const struct svg_rule *r,
		      const struct axis *ax, double top, double bottom,
		      double label_y)
{
	double x;

	if (!drawable(ax, r->value))
		return;
	x = map(ax, r->value);
	fprintf(out,
		"<g class=\"rule\" data-kind=\"limit\">\n<line x1=\"%.1f\" "
		"y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
		"stroke-width=\"2\"%s/>\n",
		x, top, x, bottom, LIMIT_GREY, dash_of(SVG_LIMIT));
	text(out, x, label_y, "middle", " fill=\"#333\" font-size=\"11\"",
	     r->label);
	fputs("</g>\n", out);
}

int svg_bars(FILE *out, const struct svg_bars *bars)
{
	const double w = 760, label_w = 250, left = label_w + 10, right = 700,
		     bar_h = 13, gap = 3, group_gap = 12;
	double min = INFINITY, max = -INFINITY;
	double top, y, bottom, h;
	size_t rows = 0, legend_rows;
	struct axis ax = { .scale = bars->value.scale };

	if (!bars->n_categories || (!bars->n_series && !bars->n_rules))
		return -EINVAL;
	for (size_t c = 0; c < bars->n_categories; c++)
		for (size_t s = 0; s < bars->n_series; s++) {
			const struct svg_series *se = &bars->series[s];

			if (!isfinite(se->y[c]))
				continue;
			rows++;
			widen(&ax, se->y[c], &min, &max);
			if (se->lo && se->hi) {
				widen(&ax, se->lo[c], &min, &max);
				widen(&ax, se->hi[c], &min, &max);
			}
		}
	for (size_t r = 0; r < bars->n_rules; r++)
		widen(&ax, bars->rules[r].value, &min, &max);
	legend_rows = (bars->n_series + 2) / 3;
	/* Limits are labelled in a row of their own above the groups. */
	top = 34 + 18 * (double)legend_rows + 15 * (double)bars->n_rules;
	bottom = top + (double)rows * (bar_h + gap) +
		 (double)bars->n_categories * group_gap;
	h = bottom + 46;
	axis_fit(&ax, &bars->value, min, max, left, right);

	svg_open(out, bars->id, bars->title, w, h,
		 bars->value.scale == SVG_LOG ? "dots" : "bars",
		 bars->value.scale, SVG_LINEAR);
	for (size_t s = 0; s < bars->n_series; s++)
		legend_entry(out, 12 + 250 * (double)(s % 3),
			     34 + 18 * (double)(size_t)(s / 3),
			     &bars->series[s], bars->value.scale != SVG_LOG);
	grid(out, &ax, bars->value.unit, true, left, top, right, bottom);
	text(out, (left + right) / 2, h - 12, "middle", NULL,
	     bars->value.label);
	if (bars->value.scale == SVG_LOG)
		text(out, right, h - 2, "end",
		     " fill=\"#666\" font-size=\"10\"",
		     "logarithmic axis: dots, not bars");

	y = top + group_gap / 2;
	for (size_t c = 0; c < bars->n_categories; c++) {
		double y_start = y;

		for (size_t s = 0; s < bars->n_series; s++) {
			if (!isfinite(bars->series[s].y[c]))
				continue;
			bar(out, bars, &ax, &bars->series[s], c, y, bar_h);
			y += bar_h + gap;
		}
		/* A group's label, cut to what fits left of the bars. */
		text_cut(out, label_w, (y_start + y - gap) / 2 + 4, "end", NULL,
			 bars->categories[c], 36);
		y += group_gap;
	}
	for (size_t r = 0; r < bars->n_rules; r++)
		bars_rule(out, &bars->rules[r], &ax, top, bottom,
			  34 + 18 * (double)legend_rows + 15 * (double)r + 6);
	svg_close(out);
	return ferror(out) ? -EIO : 0;
}
