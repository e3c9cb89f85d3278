"""Colour of 2D flakes on SiO2/Si from thin-film interference (the transfer-matrix method).

A flake of N layers on a chip is the stack air / flake (N x layer thickness) / SiO2 / Si. Its reflectance at
normal incidence, R(lambda), follows from each layer's complex refractive index N = n - ik through the
characteristic matrices of Macleod, *Thin-Film Optical Filters*, ch. 2:

    M_j = [[cos d_j, i sin d_j / N_j], [i N_j sin d_j, cos d_j]],   d_j = 2 pi N_j t_j / lambda
    [B, C] = M_1 ... M_m [1, N_substrate],   r = (B - C) / (B + C),   R = |r|^2

A camera turns R(lambda) into RGB: each channel integrates R against a halogen lamp's spectrum and the
channel's spectral response, and is white-balanced on a perfect mirror (R = 1 gives 1, 1, 1). The optical
contrast of a flake is (R_substrate - R_flake) / R_substrate per channel.

Optical constants (tabulated at the wavelengths in micrometres, interpolated linearly; all from the
refractiveindex.info database, CC0):

* Si: M. A. Green, Sol. Energ. Mat. Sol. Cells 92, 1305 (2008).
* SiO2: I. H. Malitson, J. Opt. Soc. Am. 55, 1205 (1965), Sellmeier formula.
* graphene: J. W. Weber, V. E. Calado, M. C. M. van de Sanden, Appl. Phys. Lett. 97, 091904 (2010);
  0.335 nm per layer.
* hBN: S. Y. Lee, T. Y. Jeong, S. Jung, K. J. Yee, Phys. Status Solidi B 256, 1800417 (2019), in-plane
  Sellmeier fit, non-absorbing in the visible; 0.333 nm per layer.
* MoS2: B. Munkhbat, P. Wrobel, T. J. Antosiewicz, T. O. Shegai, ACS Photonics 9, 2398 (2022), in-plane
  (ordinary) multilayer constants with the A and B excitons near 660 and 610 nm; 0.615 nm per layer.
* WTe2: same source, n_alpha, k_alpha; 0.703 nm per layer.
"""
from dataclasses import dataclass
from typing import Callable, Dict, Sequence, Tuple

import numpy as np

WAVELENGTHS_UM = np.round(np.arange(0.40, 0.7001, 0.01), 3)  # the visible range every spectrum uses
SIO2_PRESETS_NM = (90.0, 285.0)


def _table(rows: Sequence[Tuple[float, float, float]]) -> Callable[[np.ndarray], np.ndarray]:
    """Complex index N = n - ik interpolated from (wavelength um, n, k) rows."""
    data = np.asarray(rows, dtype=np.float64)

    def index(wavelengths_um: np.ndarray) -> np.ndarray:
        n = np.interp(wavelengths_um, data[:, 0], data[:, 1])
        k = np.interp(wavelengths_um, data[:, 0], data[:, 2])
        return n - 1j * k

    return index


def _sellmeier(coefficients: Sequence[Tuple[float, float]]) -> Callable[[np.ndarray], np.ndarray]:
    """Non-absorbing index from n^2 = 1 + sum B l^2 / (l^2 - C^2), l in micrometres."""

    def index(wavelengths_um: np.ndarray) -> np.ndarray:
        l2 = np.asarray(wavelengths_um, dtype=np.float64) ** 2
        n2 = 1 + sum(b * l2 / (l2 - c ** 2) for b, c in coefficients)
        return np.sqrt(n2).astype(np.complex128)

    return index


silicon_index = _table([
    (0.40, 5.613, 0.296), (0.42, 5.119, 0.176), (0.44, 4.812, 0.107), (0.46, 4.587, 0.0714),
    (0.48, 4.419, 0.0550), (0.50, 4.294, 0.0442), (0.52, 4.193, 0.0364), (0.54, 4.112, 0.0303),
    (0.56, 4.045, 0.0258), (0.58, 3.988, 0.0225), (0.60, 3.940, 0.0199), (0.62, 3.898, 0.0174),
    (0.64, 3.861, 0.0154), (0.66, 3.828, 0.0135), (0.68, 3.798, 0.0119), (0.70, 3.772, 0.0105)])
silica_index = _sellmeier([(0.6961663, 0.0684043), (0.4079426, 0.1162414), (0.8974794, 9.896161)])


@dataclass(frozen=True)
class FlakeMaterial:
    """A layered crystal: its name, the thickness of one layer and its complex index."""
    name: str
    layer_nm: float
    index: Callable[[np.ndarray], np.ndarray]


MATERIALS: Dict[str, FlakeMaterial] = {
    'graphene': FlakeMaterial('graphene', 0.335, _table([
        (0.40, 2.714, 1.128), (0.42, 2.701, 1.138), (0.44, 2.693, 1.147), (0.46, 2.686, 1.158),
        (0.48, 2.682, 1.170), (0.50, 2.679, 1.188), (0.52, 2.678, 1.207), (0.54, 2.681, 1.233),
        (0.56, 2.686, 1.257), (0.58, 2.694, 1.285), (0.60, 2.706, 1.312), (0.62, 2.719, 1.337),
        (0.64, 2.736, 1.365), (0.66, 2.753, 1.390), (0.68, 2.770, 1.413), (0.70, 2.788, 1.436)])),
    'hbn': FlakeMaterial('hbn', 0.333, _sellmeier([(3.263, 0.1644)])),
    'mos2': FlakeMaterial('mos2', 0.615, _table([
        (0.40, 3.728, 3.447), (0.41, 4.103, 3.359), (0.42, 4.332, 3.207), (0.43, 4.473, 3.137),
        (0.44, 4.678, 3.159), (0.45, 5.027, 3.140), (0.46, 5.437, 2.934), (0.47, 5.733, 2.542),
        (0.48, 5.833, 2.100), (0.49, 5.785, 1.721), (0.50, 5.664, 1.436), (0.51, 5.519, 1.234),
        (0.52, 5.375, 1.094), (0.53, 5.241, 0.999), (0.54, 5.120, 0.937), (0.55, 5.012, 0.902),
        (0.56, 4.916, 0.888), (0.57, 4.832, 0.895), (0.58, 4.759, 0.923), (0.59, 4.700, 0.978),
        (0.60, 4.663, 1.068), (0.61, 4.676, 1.214), (0.62, 4.833, 1.421), (0.63, 5.338, 1.442),
        (0.64, 5.453, 0.818), (0.65, 5.211, 0.582), (0.66, 4.801, 0.648), (0.67, 4.700, 1.362),
        (0.68, 6.088, 1.188), (0.69, 5.768, 0.266), (0.70, 5.420, 0.095)])),
    'wte2': FlakeMaterial('wte2', 0.703, _table([
        (0.40, 3.141, 1.853), (0.42, 3.207, 1.761), (0.44, 3.254, 1.679), (0.46, 3.284, 1.610),
        (0.48, 3.302, 1.558), (0.50, 3.321, 1.523), (0.52, 3.347, 1.498), (0.54, 3.381, 1.469),
        (0.56, 3.412, 1.430), (0.58, 3.428, 1.388), (0.60, 3.429, 1.353), (0.62, 3.422, 1.335),
        (0.64, 3.419, 1.335), (0.66, 3.430, 1.345), (0.68, 3.456, 1.352), (0.70, 3.487, 1.347)])),
}


def stack_reflectance(wavelengths_um: np.ndarray, films: Sequence[Tuple[np.ndarray, float]],
                      substrate: np.ndarray, ambient: complex = 1.0) -> np.ndarray:
    """Normal-incidence reflectance of a stack of films on a semi-infinite substrate.

    Args:
        wavelengths_um: (W,) wavelengths in micrometres.
        films: From the top down, (complex index per wavelength (W,), thickness in nm) per film.
        substrate: (W,) complex index of the substrate.
        ambient: Index of the incident medium (air).

    Returns:
        (W,) reflectance R in [0, 1].
    """
    wavelengths_nm = np.asarray(wavelengths_um, dtype=np.float64) * 1000
    b = np.ones_like(wavelengths_nm, dtype=np.complex128)
    c = np.asarray(substrate, dtype=np.complex128).copy()
    for index, thickness_nm in reversed(list(films)):  # [B, C] = M_1 (... (M_m [1, N_s]))
        phase = 2 * np.pi * index * thickness_nm / wavelengths_nm
        cos, sin = np.cos(phase), np.sin(phase)
        b, c = cos * b + 1j * sin / index * c, 1j * index * sin * b + cos * c
    r = (ambient * b - c) / (ambient * b + c)
    return np.abs(r) ** 2


def chip_reflectance(material: str, layers: float, sio2_nm: float,
                     wavelengths_um: np.ndarray = WAVELENGTHS_UM) -> np.ndarray:
    """Reflectance spectrum of ``layers`` layers of ``material`` (0: bare chip) on SiO2/Si."""
    films = [(silica_index(wavelengths_um), sio2_nm)]
    if layers > 0:
        flake = MATERIALS[material]
        films.insert(0, (flake.index(wavelengths_um), layers * flake.layer_nm))
    return stack_reflectance(wavelengths_um, films, silicon_index(wavelengths_um))


def _blackbody(wavelengths_um: np.ndarray, temperature_k: float) -> np.ndarray:
    hc_over_k = 14387.77  # um K
    return wavelengths_um ** -5 / np.expm1(hc_over_k / (wavelengths_um * temperature_k))


def camera_weights(wavelengths_um: np.ndarray = WAVELENGTHS_UM, lamp_k: float = 3200.0) -> np.ndarray:
    """(3, W) weights that turn a reflectance spectrum into white-balanced linear RGB.

    Gaussian responses centred at 600 / 535 / 460 nm (widths 45 / 40 / 35 nm), like a colour CMOS sensor
    behind an IR-cut filter, under a halogen lamp (a 3200 K black body). Each row sums to 1.
    """
    centres, widths = np.array([0.600, 0.535, 0.460]), np.array([0.045, 0.040, 0.035])
    response = np.exp(-0.5 * ((wavelengths_um[None] - centres[:, None]) / widths[:, None]) ** 2)
    weights = response * _blackbody(wavelengths_um, lamp_k)[None]
    return weights / weights.sum(axis=1, keepdims=True)


def chip_rgb(material: str, layers: float, sio2_nm: float, lamp_k: float = 3200.0) -> np.ndarray:
    """Linear RGB (white-balanced, mirror = 1) of a flake of ``layers`` layers on SiO2/Si."""
    return camera_weights(WAVELENGTHS_UM, lamp_k) @ chip_reflectance(material, layers, sio2_nm)


def optical_contrast(material: str, layers: float, sio2_nm: float) -> np.ndarray:
    """Per-channel contrast (R_substrate - R_flake) / R_substrate; positive: the flake is darker."""
    substrate = chip_rgb(material, 0, sio2_nm)
    return (substrate - chip_rgb(material, layers, sio2_nm)) / substrate
