//! `lakecast heatmap`: draws a query result of (row label, column label,
//! value) as a heatmap, in SVG or PNG. The PNG is the SVG rasterised with
//! an embedded font, so it looks the same on every machine.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};

/// A grid of values: rows in the order the query gave them, columns sorted.
pub struct Grid {
    /// Title drawn above the picture.
    pub title: String,
    row_axis: String,
    column_axis: String,
    value_name: String,
    rows: Vec<String>,
    columns: Vec<String>,
    /// `cells[row][column]`.
    cells: Vec<Vec<Option<f64>>>,
}

impl Grid {
    /// Reads the first three columns of a query result.
    pub fn from_batches(batches: &[RecordBatch], title: &str) -> Result<Self, String> {
        let schema = batches.first().map(RecordBatch::schema).ok_or(
            "the query returned no rows; a heatmap needs (row label, column label, value) rows",
        )?;
        if schema.fields().len() < 3 {
            return Err(format!(
                "a heatmap needs three columns (row label, column label, value); the query \
                 returned {}",
                schema.fields().len()
            ));
        }
        let value_field = schema.field(2);
        if !value_field.data_type().is_numeric() {
            return Err(format!(
                "the third column `{}` holds the values and must be numeric, got {}",
                value_field.name(),
                value_field.data_type()
            ));
        }
        let mut triples: Vec<(String, String, Option<f64>)> = Vec::new();
        let options = FormatOptions::default().with_null("NULL");
        for batch in batches {
            let rows = ArrayFormatter::try_new(batch.column(0).as_ref(), &options)
                .map_err(|e| e.to_string())?;
            let columns = ArrayFormatter::try_new(batch.column(1).as_ref(), &options)
                .map_err(|e| e.to_string())?;
            let values =
                cast(batch.column(2), &DataType::Float64).map_err(|e| e.to_string())?;
            let values = values
                .as_any()
                .downcast_ref::<arrow::array::Float64Array>()
                .ok_or("values did not convert to numbers")?;
            for i in 0..batch.num_rows() {
                let value = values.is_valid(i).then(|| values.value(i));
                triples.push((
                    rows.value(i).to_string(),
                    columns.value(i).to_string(),
                    value,
                ));
            }
        }
        if triples.is_empty() {
            return Err("the query returned no rows to draw".into());
        }
        Ok(Self::from_triples(
            title,
            [
                schema.field(0).name(),
                schema.field(1).name(),
                value_field.name(),
            ],
            triples,
        ))
    }

    fn from_triples(
        title: &str,
        [row_axis, column_axis, value_name]: [&String; 3],
        triples: Vec<(String, String, Option<f64>)>,
    ) -> Self {
        let mut rows: Vec<String> = Vec::new();
        let mut columns: Vec<String> = Vec::new();
        for (row, column, _) in &triples {
            if !rows.contains(row) {
                rows.push(row.clone());
            }
            if !columns.contains(column) {
                columns.push(column.clone());
            }
        }
        columns.sort();
        let mut cells = vec![vec![None; columns.len()]; rows.len()];
        for (row, column, value) in triples {
            let r = rows.iter().position(|x| *x == row).unwrap_or(0);
            let c = columns.iter().position(|x| *x == column).unwrap_or(0);
            cells[r][c] = value;
        }
        Self {
            title: title.to_string(),
            row_axis: row_axis.clone(),
            column_axis: column_axis.clone(),
            value_name: value_name.clone(),
            rows,
            columns,
            cells,
        }
    }

    /// The colour scale: 0..1 when every value is a share, else min..max.
    fn scale(&self) -> (f64, f64, bool) {
        let values = self.cells.iter().flatten().flatten();
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
        if lo >= 0.0 && hi <= 1.0 {
            (0.0, 1.0, true)
        } else if lo.is_finite() && hi > lo {
            (lo, hi, false)
        } else {
            (lo.min(0.0), lo.max(0.0) + 1.0, false)
        }
    }
}

/// A value as a sales director reads it: shares as percentages.
fn label(value: f64, share: bool) -> String {
    if share {
        format!("{:.0}%", value * 100.0)
    } else if value.abs() >= 1000.0 {
        let whole = format!("{:.0}", value.abs());
        let mut grouped = String::new();
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        if value < 0.0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    } else {
        format!("{value:.2}")
    }
}

/// Viridis: dark purple for low values to yellow for high ones; readable in
/// grey scale and by colour-blind readers.
const PALETTE: [(f64, f64, f64); 9] = [
    (68.0, 1.0, 84.0),
    (71.0, 44.0, 122.0),
    (59.0, 81.0, 139.0),
    (44.0, 113.0, 142.0),
    (33.0, 144.0, 141.0),
    (39.0, 173.0, 129.0),
    (92.0, 200.0, 99.0),
    (170.0, 220.0, 50.0),
    (253.0, 231.0, 37.0),
];

/// Colour of a position 0..1 on the scale, and whether text on it is dark.
fn colour(t: f64) -> (String, bool) {
    let t = t.clamp(0.0, 1.0) * (PALETTE.len() - 1) as f64;
    let i = (t.floor() as usize).min(PALETTE.len() - 2);
    let f = t - i as f64;
    let (a, b) = (PALETTE[i], PALETTE[i + 1]);
    let mix = |x: f64, y: f64| x + (y - x) * f;
    let (r, g, bl) = (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2));
    let luminance = 0.299 * r + 0.587 * g + 0.114 * bl;
    (
        format!("rgb({:.0},{:.0},{:.0})", r, g, bl),
        luminance > 140.0,
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const CELL_W: f64 = 72.0;
const CELL_H: f64 = 28.0;
const CHAR_W: f64 = 7.2;
const FONT: &str = "DejaVu Sans";

/// The heatmap as an SVG document.
pub fn to_svg(grid: &Grid) -> String {
    let (lo, hi, share) = grid.scale();
    let longest = grid
        .rows
        .iter()
        .map(|r| r.chars().count())
        .max()
        .unwrap_or(4);
    let left = 24.0 + CHAR_W * longest.max(grid.row_axis.len()) as f64;
    let top = 84.0;
    let width_cells = CELL_W * grid.columns.len() as f64;
    let height_cells = CELL_H * grid.rows.len() as f64;
    let legend_x = left + width_cells + 32.0;
    let width =
        legend_x + (CHAR_W * grid.value_name.chars().count() as f64).max(110.0) + 16.0;
    let height = top + height_cells.max(180.0) + 40.0;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="{FONT}" font-size="12">"#
    );
    let _ = write!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = write!(
        svg,
        r#"<text x="16" y="28" font-size="18" font-weight="bold">{}</text>"#,
        escape(&grid.title)
    );
    let _ = write!(
        svg,
        r#"<text x="{:.0}" y="56" font-size="13" fill="rgb(80,80,80)">{}</text>"#,
        left,
        escape(&grid.column_axis)
    );
    let _ = write!(
        svg,
        r#"<text x="16" y="{:.0}" font-size="13" fill="rgb(80,80,80)">{}</text>"#,
        top - 8.0,
        escape(&grid.row_axis)
    );
    for (c, column) in grid.columns.iter().enumerate() {
        let x = left + CELL_W * (c as f64 + 0.5);
        let _ = write!(
            svg,
            r#"<text x="{x:.1}" y="{:.0}" text-anchor="middle">{}</text>"#,
            top - 8.0,
            escape(column)
        );
    }
    for (r, row) in grid.rows.iter().enumerate() {
        let y = top + CELL_H * r as f64;
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + CELL_H * 0.65,
            escape(row)
        );
        for (c, value) in grid.cells[r].iter().enumerate() {
            let x = left + CELL_W * c as f64;
            match value {
                Some(v) => {
                    let (fill, light) = colour((v - lo) / (hi - lo));
                    let ink = if light { "black" } else { "white" };
                    let _ = write!(
                        svg,
                        r#"<rect x="{x:.1}" y="{y:.1}" width="{CELL_W}" height="{CELL_H}" fill="{fill}" stroke="white"/><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{ink}">{}</text>"#,
                        x + CELL_W / 2.0,
                        y + CELL_H * 0.65,
                        label(*v, share)
                    );
                }
                None => {
                    let _ = write!(
                        svg,
                        r#"<rect x="{x:.1}" y="{y:.1}" width="{CELL_W}" height="{CELL_H}" fill="rgb(240,240,240)" stroke="white"/>"#
                    );
                }
            }
        }
    }
    legend(&mut svg, legend_x, top, (lo, hi, share), &grid.value_name);
    svg.push_str("</svg>\n");
    svg
}

fn legend(
    svg: &mut String,
    x: f64,
    top: f64,
    (lo, hi, share): (f64, f64, bool),
    name: &str,
) {
    const STEPS: usize = 40;
    const HEIGHT: f64 = 180.0;
    let _ = write!(
        svg,
        r#"<text x="{x:.1}" y="{:.0}" font-size="13" fill="rgb(80,80,80)">{}</text>"#,
        top - 8.0,
        escape(name)
    );
    for i in 0..STEPS {
        let t = 1.0 - (i as f64 + 0.5) / STEPS as f64;
        let (fill, _) = colour(t);
        let y = top + HEIGHT * i as f64 / STEPS as f64;
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="{y:.2}" width="18" height="{:.2}" fill="{fill}"/>"#,
            HEIGHT / STEPS as f64 + 0.3
        );
    }
    let _ = write!(
        svg,
        r#"<rect x="{x:.1}" y="{:.1}" width="18" height="12" fill="rgb(240,240,240)"/><text x="{:.1}" y="{:.1}">no data</text>"#,
        top + HEIGHT + 16.0,
        x + 26.0,
        top + HEIGHT + 26.0
    );
    for k in 0..=4 {
        let t = k as f64 / 4.0;
        let y = top + HEIGHT * (1.0 - t);
        let _ = write!(
            svg,
            r#"<line x1="{:.1}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="black"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            x + 18.0,
            x + 22.0,
            x + 26.0,
            y + 4.0,
            label(lo + t * (hi - lo), share)
        );
    }
}

/// The SVG rasterised to PNG (twice the SVG's size, for sharp text).
pub fn to_png(svg: &str) -> Result<Vec<u8>, String> {
    let mut fonts = resvg::usvg::fontdb::Database::new();
    fonts.load_font_data(dejavu::sans::regular().to_vec());
    fonts.load_font_data(dejavu::sans::bold().to_vec());
    fonts.set_sans_serif_family(FONT);
    let options = resvg::usvg::Options {
        font_family: FONT.to_string(),
        fontdb: Arc::new(fonts),
        ..resvg::usvg::Options::default()
    };
    let tree = resvg::usvg::Tree::from_str(svg, &options).map_err(|e| e.to_string())?;
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width() * 2, size.height() * 2)
        .ok_or("the heatmap is too large to draw")?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(2.0, 2.0),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| e.to_string())
}

/// Runs every statement of `sql` and draws the last result to `out`;
/// returns the grid's size as (rows, columns).
pub async fn draw(
    ctx: &datafusion::prelude::SessionContext,
    sql: &str,
    source: &str,
    title: &str,
    out: &Path,
) -> Result<(usize, usize), String> {
    let mut last = Vec::new();
    for statement in crate::run::split(sql).map_err(|e| format!("{source}: {e}"))? {
        last = crate::run::execute(ctx, statement)
            .await
            .map_err(|e| format!("{source}: {}", crate::run::clean_error(&e)))?;
    }
    let grid = Grid::from_batches(&last, title)?;
    write(&grid, out)?;
    Ok((grid.rows.len(), grid.columns.len()))
}

/// Writes the grid to `out`, as SVG or PNG by its extension.
pub fn write(grid: &Grid, out: &Path) -> Result<(), String> {
    let svg = to_svg(grid);
    let bytes = match out.extension().and_then(|e| e.to_str()) {
        Some(ext) if ext.eq_ignore_ascii_case("svg") => svg.into_bytes(),
        Some(ext) if ext.eq_ignore_ascii_case("png") => to_png(&svg)?,
        _ => {
            return Err(format!(
                "--out `{}` must end in .png or .svg",
                out.display()
            ));
        }
    };
    std::fs::write(out, bytes)
        .map_err(|e| format!("cannot write `{}`: {e}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        let names = ["customer".to_string(), "cycle".to_string(), "p".to_string()];
        Grid::from_triples(
            "Forecast",
            [&names[0], &names[1], &names[2]],
            vec![
                ("Acme & Co".into(), "2026-Q4".into(), Some(0.42)),
                ("Acme & Co".into(), "2026-Q3".into(), Some(0.9)),
                ("Zenith".into(), "2026-Q4".into(), None),
            ],
        )
    }

    #[test]
    fn rows_keep_query_order_columns_sort_and_shares_print_as_percent() {
        let g = grid();
        assert_eq!(g.rows, ["Acme & Co", "Zenith"]);
        assert_eq!(g.columns, ["2026-Q3", "2026-Q4"]);
        let svg = to_svg(&g);
        assert!(svg.contains(">42%<") && svg.contains(">90%<"), "{svg}");
        assert!(svg.contains("Acme &amp; Co"));
        assert!(
            svg.contains(">0%<") && svg.contains(">100%<"),
            "legend ticks"
        );
    }

    #[test]
    fn png_output_is_a_png_of_twice_the_svg_size() {
        let png = to_png(&to_svg(&grid())).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }

    #[test]
    fn large_numbers_get_thousands_separators() {
        assert_eq!(label(1_234_567.0, false), "1,234,567");
        assert_eq!(label(-4200.0, false), "-4,200");
        assert_eq!(label(12.345, false), "12.35");
    }
}
