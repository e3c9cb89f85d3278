"""Thin-film colours against independent computations and published contrasts."""
import numpy as np
import pytest

from qmat.datasets.synthetic.optics import (
    MATERIALS,
    WAVELENGTHS_UM,
    camera_weights,
    chip_reflectance,
    chip_rgb,
    optical_contrast,
    silica_index,
    silicon_index,
    stack_reflectance,
)


def airy_single_film(wavelengths_um, film, thickness_nm, substrate):
    """Closed-form reflectance of one film on a substrate (Airy summation), N = n - ik convention."""
    r01 = (1 - film) / (1 + film)
    r12 = (film - substrate) / (film + substrate)
    phase = np.exp(-2j * 2 * np.pi * film * thickness_nm / (wavelengths_um * 1000))
    return np.abs((r01 + r12 * phase) / (1 + r01 * r12 * phase)) ** 2


@pytest.mark.parametrize('sio2_nm', [0.0, 90.0, 285.0, 300.0, 1000.0])
def test_bare_chip_matches_the_single_film_formula(sio2_nm):
    w = WAVELENGTHS_UM
    expected = airy_single_film(w, silica_index(w), sio2_nm, silicon_index(w))
    np.testing.assert_allclose(chip_reflectance('graphene', 0, sio2_nm), expected, rtol=1e-10)


def test_bare_silicon_reflectance():
    n = silicon_index(np.array([0.55]))[0]
    assert abs(abs((1 - n) / (1 + n)) ** 2 - 0.367) < 0.003  # textbook R of Si at 550 nm
    np.testing.assert_allclose(chip_reflectance('hbn', 0, 0.0, np.array([0.55])), 0.367, atol=0.003)


def test_two_films_match_nested_airy_formula():
    """Reflectance of flake/SiO2/Si from two nested Airy sums (an independent recursion)."""
    w = WAVELENGTHS_UM
    flake, oxide, si = MATERIALS['wte2'].index(w), silica_index(w), silicon_index(w)
    d_flake, d_oxide = 7.0, 285.0

    def amplitude(n_top, n_film, d, r_below):
        r_top = (n_top - n_film) / (n_top + n_film)
        phase = np.exp(-2j * 2 * np.pi * n_film * d / (w * 1000))
        return (r_top + r_below * phase) / (1 + r_top * r_below * phase)

    r_oxide = amplitude(flake, oxide, d_oxide, (oxide - si) / (oxide + si))
    expected = np.abs(amplitude(1.0, flake, d_flake, r_oxide)) ** 2
    actual = stack_reflectance(w, [(flake, d_flake), (oxide, d_oxide)], si)
    np.testing.assert_allclose(actual, expected, rtol=1e-10)


def test_energy_is_conserved_for_lossless_stacks():
    w = WAVELENGTHS_UM
    r = stack_reflectance(w, [(MATERIALS['hbn'].index(w), 50.0)], silica_index(w))
    assert ((r >= 0) & (r <= 1)).all()


def test_monolayer_graphene_green_contrast_on_285nm():
    # Blake et al., APL 91, 063124 (2007): monolayer graphene is roughly 5-10 % darker in green
    green = optical_contrast('graphene', 1, 285.0)[1]
    assert 0.05 <= green <= 0.10


@pytest.mark.parametrize('material', sorted(MATERIALS))
def test_contrast_is_monotonic_over_the_first_layers(material):
    contrasts = np.array([optical_contrast(material, n, 285.0) for n in range(1, 5)])
    channel = np.argmax(np.abs(contrasts[0]))  # the channel where the monolayer shows most
    steps = np.diff(np.abs(contrasts[:, channel]))
    assert (steps > 0).all(), contrasts


def test_hbn_is_faint():
    assert np.abs(optical_contrast('hbn', 1, 285.0)).max() < 0.03
    hbn, graphene = (np.abs(optical_contrast(m, 1, 285.0)).max() for m in ('hbn', 'graphene'))
    assert hbn < graphene


def test_mos2_and_wte2_are_distinct():
    colours = {m: chip_rgb(m, 3, 285.0) for m in ('graphene', 'mos2', 'wte2')}
    for a, b in (('mos2', 'wte2'), ('mos2', 'graphene'), ('wte2', 'graphene')):
        assert np.abs(colours[a] - colours[b]).max() > 0.01, (a, b, colours)


def test_camera_is_white_balanced_on_a_mirror():
    weights = camera_weights()
    np.testing.assert_allclose(weights @ np.ones(len(WAVELENGTHS_UM)), 1.0)
    assert (weights >= 0).all()
