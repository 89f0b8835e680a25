//! Model inputs: crystals as the reference consumes them (Cartesian positions and lattice rows
//! cast to float32, one-hot species), packed into batches without padding, and the lattice
//! quantities the periodic attention needs (doc §2, §3.3).

use crate::config::NUM_ELEMENTS;
use crate::error::{Error, Result};
use screen_engine::crystal::Crystal;

/// Largest number of periodic images in one (atom, head) box that a crystal may need. Only
/// absurdly thin cells reach it (plane spacing ≲ 0.25 Å); refusing them keeps every input
/// finishing quickly.
pub const MAX_BOX_IMAGES: usize = 100_000;

/// Most atoms per crystal: attention is all-pairs, so the cost grows as N² (a 2,000-atom
/// cell takes minutes); larger inputs are refused rather than left running. (The reference's
/// fused kernel stops at 320.)
pub const MAX_ATOMS: usize = 2_000;

/// One crystal as the model sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct CrystalInput {
    /// Rows are the lattice vectors a1, a2, a3 (Å).
    pub lattice: [[f64; 3]; 3],
    /// Cartesian positions (Å), one per site.
    pub positions: Vec<[f64; 3]>,
    /// Per site: (atomic number, occupancy). Ordered sites hold one entry with occupancy 1;
    /// disordered sites are encoded as the occupancy-weighted one-hot mix, as the reference
    /// does with pymatgen's `species_and_occu`.
    pub species: Vec<Vec<(u8, f32)>>,
}

impl CrystalInput {
    /// An ordered crystal from atomic numbers and Cartesian positions (Å).
    pub fn new(lattice: [[f64; 3]; 3], numbers: Vec<u8>, positions: Vec<[f64; 3]>) -> Self {
        CrystalInput { lattice, positions, species: numbers.into_iter().map(|z| vec![(z, 1.0)]).collect() }
    }

    /// From the engine's crystal model (fractional → Cartesian in f64; oxidation states are
    /// ignored: the model only sees elements).
    pub fn from_crystal(crystal: &Crystal) -> Self {
        let lattice = *crystal.lattice.matrix();
        // Wrapped into the cell: the image box is centred on pos_j − pos_i, so atoms written far
        // outside the cell would push their nearest images out of it. Coordinates already in
        // [0, 1) are unchanged (bit for bit).
        let positions =
            crystal.sites.iter().map(|s| crystal.lattice.to_cartesian(s.frac.map(|x| x - x.floor()))).collect();
        let species = crystal
            .sites
            .iter()
            .map(|s| s.occupancy.species().iter().map(|(sp, occ)| (sp.element.z().min(255) as u8, *occ as f32)).collect())
            .collect();
        CrystalInput { lattice, positions, species }
    }

    pub fn num_atoms(&self) -> usize {
        self.positions.len()
    }
}

/// The float32 geometry of one crystal of a packed batch.
#[derive(Clone, Debug)]
pub struct CrystalGeom {
    /// Index of the first atom in the packed batch.
    pub offset: usize,
    /// Rows t1, t2, t3 (Å), float32 as in the reference.
    pub lattice: [[f32; 3]; 3],
    /// |b_d| of the reciprocal vectors b_d = 2π (t_e × t_f)/V (Å⁻¹), computed in float32 the
    /// way the reference does (hand-written determinant, doc §3).
    pub recip_lengths: [f32; 3],
    /// Inverse of the lattice matrix (f64): fractional = Cartesian · inverse.
    pub inverse: [[f64; 3]; 3],
    pub positions: Vec<[f32; 3]>,
}

impl CrystalGeom {
    pub fn num_atoms(&self) -> usize {
        self.positions.len()
    }

    /// Visits every image r + n1·t1 + n2·t2 + n3·t3 with |r + ...|² ≤ `rho2` (Å²), whatever
    /// the box of the attention: unlike the reference's box this set does not depend on the
    /// cell chosen to describe the crystal.
    pub fn for_each_image_within(&self, r: [f32; 3], rho2: f32, mut f: impl FnMut([f32; 3], f32)) {
        if !(rho2 >= 0.0 && rho2.is_finite()) {
            return;
        }
        let rho = (rho2 as f64).sqrt();
        let rf = r.map(f64::from);
        let t = &self.lattice;
        let mut lo = [0i32; 3];
        let mut hi = [0i32; 3];
        for d in 0..3 {
            let frac = (0..3).map(|k| rf[k] * self.inverse[k][d]).sum::<f64>();
            // |b_d|/2π = 1/(plane spacing); a small margin for rounding.
            let reach = rho * self.recip_lengths[d] as f64 / (2.0 * std::f64::consts::PI) + 1e-3;
            lo[d] = (-reach - frac).ceil().max(-1e6) as i32;
            hi[d] = (reach - frac).floor().min(1e6) as i32;
        }
        for n1 in lo[0]..=hi[0] {
            for n2 in lo[1]..=hi[1] {
                for n3 in lo[2]..=hi[2] {
                    let n = [n1 as f32, n2 as f32, n3 as f32];
                    let v: [f32; 3] = std::array::from_fn(|k| r[k] + t[0][k] * n[0] + t[1][k] * n[1] + t[2][k] * n[2]);
                    let d2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
                    if d2 <= rho2 {
                        f(v, d2);
                    }
                }
            }
        }
    }

    /// The box half-widths R = (R1, R2, R3) for a cutoff radius `cutoff` (Å): doc §3.3,
    /// `R_d = max(ceil((cutoff + 0.01)·|b_d| / 2π), min_range)`, the product in float32 and
    /// the division by the float32 π promoted to double, as the CUDA kernel writes it.
    pub fn range_for_cutoff(&self, cutoff: f32, min_range: i32) -> [i32; 3] {
        const TWO_PI: f64 = 2.0 * std::f32::consts::PI as f64;
        self.recip_lengths.map(|rvl| {
            let r = (((cutoff + 0.01) * rvl) as f64 / TWO_PI).ceil();
            // Capped for the int conversion; validated crystals stay far below.
            (r.min(1e6) as i32).max(min_range)
        })
    }
}

/// How the image box of an (atom, head) follows from its Gaussian coefficient a (doc §3.3).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RangeRule {
    /// Cutoff `sigmas · sqrt(−0.5/a)` (= sigmas·σ), at least `min_range` (shipped configs).
    Adaptive { sigmas: f32, min_range: i32 },
    /// A fixed cutoff radius (Å), at least `min_range`.
    Cutoff { radius: f32, min_range: i32 },
    /// A fixed range for every crystal.
    Fixed(i32),
}

impl RangeRule {
    pub fn from_config(c: &crate::Config, layer: usize) -> RangeRule {
        let min_range = if c.minimum_range { c.lattice_range } else { 0 };
        if c.adaptive_cutoff_sigma < 0.0 {
            RangeRule::Adaptive { sigmas: (-c.adaptive_cutoff_sigma) as f32, min_range }
        } else if c.adaptive_cutoff_sigma > 0.0 {
            let radius = c.r0(layer) * c.gauss_lb_real.powf(-0.5) * c.adaptive_cutoff_sigma;
            RangeRule::Cutoff { radius: radius as f32, min_range }
        } else {
            RangeRule::Fixed(c.lattice_range)
        }
    }

    /// The box of a query with coefficient `a` (< 0) in crystal `geom`.
    pub fn range(&self, geom: &CrystalGeom, a: f32) -> [i32; 3] {
        match *self {
            RangeRule::Adaptive { sigmas, min_range } => {
                geom.range_for_cutoff((-0.5f32 / a).sqrt() * sigmas, min_range)
            }
            RangeRule::Cutoff { radius, min_range } => geom.range_for_cutoff(radius, min_range),
            RangeRule::Fixed(r) => [r; 3],
        }
    }

    /// The largest box any query can get: f(α) > lb bounds σ by r0/√lb (doc §3.2).
    pub fn worst_case(&self, geom: &CrystalGeom, r0: f64, lb: f64) -> [i32; 3] {
        let a_min = (-1.0 / (2.0 * r0 * r0) * lb) as f32;
        match *self {
            // A little margin for float32 rounding of a near the bound.
            RangeRule::Adaptive { .. } => self.range(geom, a_min * 0.999),
            _ => self.range(geom, a_min),
        }
    }
}

/// Number of images in a box.
pub fn box_size(r: [i32; 3]) -> usize {
    r.iter().map(|&x| 2 * x.max(0) as usize + 1).product()
}

/// Crystals packed atom after atom (no padding), with everything the model reads.
#[derive(Clone, Debug)]
pub struct Batch {
    pub crystals: Vec<CrystalGeom>,
    /// Row-major (atoms × 98) one-hot (or occupancy-weighted) species encoding.
    pub onehot: Vec<f32>,
    pub num_atoms: usize,
}

impl Batch {
    /// Packs crystals; an unusable crystal is an error naming its index.
    pub fn new(inputs: &[CrystalInput]) -> Result<Batch> {
        let total: usize = inputs.iter().map(|c| c.num_atoms()).sum();
        let mut onehot = vec![0f32; total * NUM_ELEMENTS];
        let mut crystals = Vec::with_capacity(inputs.len());
        let mut offset = 0;
        for (index, input) in inputs.iter().enumerate() {
            let err = |message: String| Error::Crystal { index, message };
            let n = input.num_atoms();
            if n == 0 {
                return Err(err("no atoms".into()));
            }
            if n > MAX_ATOMS {
                return Err(err(format!("{n} atoms: more than the {MAX_ATOMS} the predictor takes")));
            }
            if input.species.len() != n {
                return Err(err(format!("{} species for {n} positions", input.species.len())));
            }
            for (site, species) in input.species.iter().enumerate() {
                if species.is_empty() {
                    return Err(err(format!("site {site} has no species")));
                }
                for &(z, occ) in species {
                    if !(1..=NUM_ELEMENTS as u8).contains(&z) {
                        return Err(err(format!("site {site}: element Z = {z} is outside the model's 1..=98")));
                    }
                    if !(occ.is_finite() && occ > 0.0 && occ <= 1.0 + 1e-3) {
                        return Err(err(format!("site {site}: occupancy {occ}")));
                    }
                    onehot[(offset + site) * NUM_ELEMENTS + z as usize - 1] += occ;
                }
            }
            let geom = CrystalGeom::new(offset, input).map_err(err)?;
            crystals.push(geom);
            offset += n;
        }
        Ok(Batch { crystals, onehot, num_atoms: total })
    }

    pub fn num_crystals(&self) -> usize {
        self.crystals.len()
    }

    /// Crystal index of every atom.
    pub fn atom_crystal(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.num_atoms);
        for (c, g) in self.crystals.iter().enumerate() {
            out.extend(std::iter::repeat_n(c, g.num_atoms()));
        }
        out
    }

    /// Number of edges (all ordered atom pairs inside each crystal, doc §2).
    pub fn num_edges(&self) -> usize {
        self.crystals.iter().map(|g| g.num_atoms() * g.num_atoms()).sum()
    }

    /// Checks that no query of any layer can need more than [`MAX_BOX_IMAGES`] images.
    pub fn check_ranges(&self, config: &crate::Config) -> Result<()> {
        for (index, g) in self.crystals.iter().enumerate() {
            for layer in 0..config.num_layers {
                let rule = RangeRule::from_config(config, layer);
                let r = rule.worst_case(g, config.r0(layer), config.gauss_lb_real);
                if box_size(r) > MAX_BOX_IMAGES {
                    return Err(Error::Crystal {
                        index,
                        message: format!(
                            "cell too thin for the periodic attention: {}×{}×{} images per atom pair (limit {MAX_BOX_IMAGES})",
                            2 * r[0] + 1,
                            2 * r[1] + 1,
                            2 * r[2] + 1
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

impl CrystalGeom {
    fn new(offset: usize, input: &CrystalInput) -> std::result::Result<CrystalGeom, String> {
        let finite = |v: &[f64; 3]| v.iter().all(|x| x.is_finite() && x.abs() < 1e6);
        if !input.lattice.iter().all(finite) {
            return Err("lattice is not finite".into());
        }
        if let Some(i) = input.positions.iter().position(|p| !finite(p)) {
            return Err(format!("position of site {i} is not finite"));
        }
        let lattice = input.lattice.map(|r| r.map(|x| x as f32));
        let positions = input.positions.iter().map(|p| p.map(|x| x as f32)).collect();
        let recip_lengths = reciprocal_lengths(&lattice);
        if !recip_lengths.iter().all(|x| x.is_finite() && *x > 0.0) {
            return Err("degenerate lattice (zero volume)".into());
        }
        let inverse = screen_engine::math::inverse(&lattice.map(|r| r.map(f64::from)))
            .ok_or_else(|| "degenerate lattice (zero volume)".to_string())?;
        Ok(CrystalGeom { offset, lattice, recip_lengths, inverse, positions })
    }
}

/// Reference float32 arithmetic of `compute_lattice_distances_for_cuda`: `det_3x3`, the cross
/// products, `2π/V` as `reciprocal(V)·2π`, then the Euclidean norms.
fn reciprocal_lengths(m: &[[f32; 3]; 3]) -> [f32; 3] {
    let det = m[0][0] * m[1][1] * m[2][2] + m[0][1] * m[1][2] * m[2][0] + m[0][2] * m[1][0] * m[2][1]
        - m[0][2] * m[1][1] * m[2][0]
        - m[0][0] * m[1][2] * m[2][1]
        - m[0][1] * m[1][0] * m[2][2];
    let scale = (1.0 / det) * (2.0 * std::f64::consts::PI) as f32;
    let cross = |a: [f32; 3], b: [f32; 3]| {
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    };
    let rows = [cross(m[1], m[2]), cross(m[2], m[0]), cross(m[0], m[1])];
    rows.map(|r| {
        let b = r.map(|x| x * scale);
        (b[0] * b[0] + b[1] * b[1] + b[2] * b[2]).sqrt()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cubic(a: f64) -> CrystalInput {
        CrystalInput::new([[a, 0.0, 0.0], [0.0, a, 0.0], [0.0, 0.0, a]], vec![26], vec![[0.0; 3]])
    }

    #[test]
    fn reciprocal_lengths_of_a_cubic_cell() {
        let b = Batch::new(&[cubic(4.0)]).unwrap();
        for l in b.crystals[0].recip_lengths {
            assert!((l - std::f32::consts::PI / 2.0).abs() < 1e-6);
        }
    }

    #[test]
    fn box_range_follows_the_cutoff() {
        let b = Batch::new(&[cubic(4.0)]).unwrap();
        let g = &b.crystals[0];
        // cutoff 3.5σ with σ = 2 Å: ceil(7.01/4) = 2 → the minimum 2 wins; 11.99/4 → 3.
        assert_eq!(g.range_for_cutoff(7.0, 2), [2, 2, 2]);
        assert_eq!(g.range_for_cutoff(11.98, 2), [3, 3, 3]);
        let rule = RangeRule::Adaptive { sigmas: 3.5, min_range: 2 };
        // a = -1/(2σ²) with σ = 3: cutoff 10.5 → ceil(10.51/4) = 3.
        assert_eq!(rule.range(g, -1.0 / 18.0), [3, 3, 3]);
    }

    #[test]
    fn packing_and_rejections() {
        let mut two = cubic(3.0);
        two.positions.push([1.5, 1.5, 1.5]);
        two.species.push(vec![(8, 0.5), (9, 0.5)]);
        let b = Batch::new(&[cubic(4.0), two.clone()]).unwrap();
        assert_eq!(b.num_atoms, 3);
        assert_eq!(b.crystals[1].offset, 1);
        assert_eq!(b.atom_crystal(), [0, 1, 1]);
        assert_eq!(b.num_edges(), 5);
        assert_eq!(b.onehot[2 * 98 + 7], 0.5);
        let mut bad = two.clone();
        bad.species[1] = vec![(99, 1.0)];
        let e = Batch::new(&[cubic(4.0), bad]).unwrap_err().to_string();
        assert!(e.starts_with("crystal 1:") && e.contains("Z = 99"), "{e}");
        let mut flat = cubic(3.0);
        flat.lattice[2] = [3.0, 0.0, 0.0];
        assert!(Batch::new(&[flat]).is_err());
        let mut nan = cubic(3.0);
        nan.positions[0][1] = f64::NAN;
        assert!(Batch::new(&[nan]).is_err());
        let mut big = cubic(3.0);
        big.positions = vec![[0.0; 3]; MAX_ATOMS + 1];
        big.species = vec![vec![(1, 1.0)]; MAX_ATOMS + 1];
        assert!(Batch::new(&[big]).unwrap_err().to_string().contains("atoms"));
    }

    #[test]
    fn absurdly_thin_cells_are_refused_before_any_work() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/crystalframer_parity/crystalframer_max_default.config.json");
        let config = crate::Config::from_file(&path).unwrap();
        let mut thin = cubic(3.0);
        thin.lattice[2] = [0.0, 0.0, 0.001];
        let b = Batch::new(&[cubic(4.0), thin]).unwrap();
        let e = b.check_ranges(&config).unwrap_err().to_string();
        assert!(e.starts_with("crystal 1:") && e.contains("too thin"), "{e}");
        assert!(Batch::new(&[cubic(4.0)]).unwrap().check_ranges(&config).is_ok());
    }
}
