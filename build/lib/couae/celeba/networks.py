"""WAE's DCGAN-style encoder and decoder for 64x64 images, widths scaled.

Encoder: four 5x5 stride-2 convolutions (channels c1..c4, batch norm, ReLU),
64 -> 4 pixels, then a linear layer to the code. Decoder: a linear layer to
8x8xc4 and ReLU, three 5x5 stride-2 transposed convolutions (c3, c2, c1, batch
norm, ReLU), 8 -> 64 pixels, then a 5x5 stride-1 transposed convolution to 3
channels and tanh. The paper's channels are (128, 256, 512, 1024); Table 2
multiplies them by the width factor.

The training loop feeds tensors with a leading seed axis (S, B, ...); one
image job trains one seed (batch norm must not mix seeds), so `SeedAxis`
folds that axis of size 1 into the batch.
"""

from __future__ import annotations

from torch import nn

IMAGE_SIZE = 64
KERNEL = 5


def scaled_channels(channels, width: float) -> list[int]:
    out = [int(round(c * width)) for c in channels]
    if min(out) < 1:
        raise ValueError(f"channels {list(channels)} x width {width} leave a layer with no channels")
    return out


def _conv_block(c_in, c_out):
    return [nn.Conv2d(c_in, c_out, KERNEL, stride=2, padding=2, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]


def _deconv_block(c_in, c_out):
    # padding 2 + output_padding 1 doubles the size exactly: 8 -> 16 -> 32 -> 64
    return [
        nn.ConvTranspose2d(c_in, c_out, KERNEL, stride=2, padding=2, output_padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(True),
    ]


class Encoder(nn.Sequential):
    def __init__(self, channels, out_dim: int):
        c = list(channels)
        if len(c) != 4:
            raise ValueError(f"the DCGAN encoder has 4 convolutions; got channels {c}")
        layers = []
        for c_in, c_out in zip([3] + c[:-1], c):
            layers += _conv_block(c_in, c_out)
        final = IMAGE_SIZE // 2 ** len(c)
        super().__init__(*layers, nn.Flatten(), nn.Linear(c[-1] * final * final, out_dim))


class Decoder(nn.Module):
    def __init__(self, channels, latent_dim: int):
        super().__init__()
        c = list(channels)
        self.top_channels = c[-1]
        self.start = IMAGE_SIZE // 2 ** (len(c) - 1)  # 8
        self.project = nn.Sequential(nn.Linear(latent_dim, c[-1] * self.start**2), nn.ReLU(True))
        layers = []
        for c_in, c_out in zip(c[::-1], c[-2::-1]):
            layers += _deconv_block(c_in, c_out)
        layers += [nn.ConvTranspose2d(c[0], 3, KERNEL, stride=1, padding=2), nn.Tanh()]
        self.upsample = nn.Sequential(*layers)

    def forward(self, z):
        h = self.project(z).view(-1, self.top_channels, self.start, self.start)
        return self.upsample(h)


class SeedAxis(nn.Module):
    """Runs a network on (1, B, ...) inputs of the training loop: (1, B, ...) -> (1, B, ...)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x):
        if x.shape[0] != 1:
            raise ValueError(f"image networks train one seed per job; got a seed axis of {x.shape[0]}")
        out = self.net(x[0])
        return out.unsqueeze(0)

    def plain_state_dict(self, stack: int) -> dict:
        """The network's own state dict (as StackedMLP's for one stack: the saved layout)."""
        if stack != 0:
            raise ValueError("an image network holds one seed")
        return self.net.state_dict()


# WAE's code draws every convolution, transposed convolution and linear
# weight from N(0, 0.01^2) and starts biases at zero (batch norm as usual).
WAE_INIT_STD = 0.01
INITS = ("wae", "pytorch")


def wae_init_(net: nn.Module) -> nn.Module:
    """WAE's initialisation, in place, from torch's global generator."""
    for module in net.modules():
        if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(module.weight, 0.0, WAE_INIT_STD)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    return net


def build_gan(
    channels, width: float, latent_dim: int, discriminator_width: float, init: str
) -> tuple[Decoder, Encoder]:
    """A Coulomb GAN's (generator, discriminator): the decoder at `width`, and
    the encoder with one output at width x discriminator_width (the authors'
    CelebA discriminator has twice the generator's channels)."""
    if init not in INITS:
        raise ValueError(f"unknown initialisation {init!r}; known: {', '.join(INITS)}")
    generator = Decoder(scaled_channels(channels, width), latent_dim)
    discriminator = Encoder(scaled_channels(channels, width * discriminator_width), 1)
    if init == "wae":
        wae_init_(generator), wae_init_(discriminator)
    return generator, discriminator


def build(channels, width: float, latent_dim: int, encoder_outputs: int, init: str) -> tuple[Encoder, Decoder]:
    """The encoder and decoder at `width`, initialised as `init` says ("wae" or "pytorch")."""
    if init not in INITS:
        raise ValueError(f"unknown initialisation {init!r}; known: {', '.join(INITS)}")
    c = scaled_channels(channels, width)
    encoder, decoder = Encoder(c, encoder_outputs), Decoder(c, latent_dim)
    if init == "wae":
        wae_init_(encoder), wae_init_(decoder)
    return encoder, decoder
