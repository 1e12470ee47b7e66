//! SVG drawings of the CLV diagnostics for the examples, with plotters' SVG backend.
//! The library returns the tables; drawing them is the caller's choice.

use std::path::{Path, PathBuf};

use patronage::clv::diagnostics::{FrequencyRecencyMatrix, MatrixValue};
use plotters::prelude::*;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Where the examples write their plots: `target/plots` under the crate root.
pub fn plot_dir() -> Result<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("plots");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A heat map of a frequency/recency matrix (rows: frequency, bottom to top;
/// columns: recency), lighter where the prediction is higher.
pub fn heat_map(matrix: &FrequencyRecencyMatrix, path: &Path) -> Result<()> {
    let top = matrix
        .cells
        .iter()
        .flatten()
        .flatten()
        .fold(0.0f64, |m, &v| m.max(v));
    let title = match matrix.value {
        MatrixValue::ProbabilityAlive => "P(alive) by frequency and recency".to_string(),
        MatrixValue::ExpectedPurchases(t) => {
            format!("Expected purchases in the next {t} units by frequency and recency")
        }
    };
    let root = SVGBackend::new(path, (720, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let (nx, ny) = (matrix.recency.len(), matrix.frequency.len());
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..nx as f64, 0f64..ny as f64)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(format!("recency step (T = {:.1})", matrix.age))
        .y_desc("frequency")
        .draw()?;
    chart.draw_series(matrix.cells.iter().enumerate().flat_map(|(i, row)| {
        row.iter().enumerate().filter_map(move |(j, v)| {
            let share = (*v)? / top.max(f64::MIN_POSITIVE);
            let shade = (40.0 + 215.0 * share) as u8;
            Some(Rectangle::new(
                [(j as f64, i as f64), (j as f64 + 1.0, i as f64 + 1.0)],
                RGBColor(shade / 3, shade / 2, shade).filled(),
            ))
        })
    }))?;
    root.present()?;
    Ok(())
}

/// Lines over a shared x axis, one per named series, with a legend.
pub fn lines(
    title: &str,
    (x_desc, y_desc): (&str, &str),
    x: &[f64],
    series: &[(&str, &[f64])],
    path: &Path,
) -> Result<()> {
    let (x0, x1) = (
        x.first().copied().unwrap_or(0.0),
        x.last().copied().unwrap_or(1.0),
    );
    let y1 = series
        .iter()
        .flat_map(|(_, ys)| ys.iter())
        .fold(0.0f64, |m, &v| m.max(v));
    let root = SVGBackend::new(path, (720, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1.max(x0 + 1.0), 0.0..y1 * 1.05 + f64::MIN_POSITIVE)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()?;
    for (k, (name, ys)) in series.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        chart
            .draw_series(LineSeries::new(
                x.iter().copied().zip(ys.iter().copied()),
                color.stroke_width(2),
            ))?
            .label(*name)
            .legend(move |(a, b)| PathElement::new([(a, b), (a + 20, b)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Side-by-side bars of two counts per category (observed and model-expected
/// customers by number of repeat purchases).
pub fn paired_bars(
    title: &str,
    labels: &[String],
    (a_name, a): (&str, &[f64]),
    (b_name, b): (&str, &[f64]),
    path: &Path,
) -> Result<()> {
    let top = a.iter().chain(b).fold(0.0f64, |m, &v| m.max(v));
    let root = SVGBackend::new(path, (720, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let n = labels.len();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..n as f64, 0.0..top * 1.05 + f64::MIN_POSITIVE)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|v| {
            let k = v.floor() as usize;
            labels.get(k).cloned().unwrap_or_default()
        })
        .y_desc("customers")
        .draw()?;
    for (k, (name, values, offset)) in [(a_name, a, 0.1), (b_name, b, 0.5)].into_iter().enumerate()
    {
        let color = Palette99::pick(k).to_rgba();
        chart
            .draw_series(values.iter().enumerate().map(|(i, &v)| {
                let x = i as f64 + offset;
                Rectangle::new([(x, 0.0), (x + 0.4, v)], color.filled())
            }))?
            .label(name)
            .legend(move |(a, b)| Rectangle::new([(a, b - 5), (a + 15, b + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
