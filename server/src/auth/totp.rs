//! The second factor: TOTP (RFC 6238: SHA-1, 6 digits, 30 s, one step of skew either side —
//! what every authenticator app makes) with `totp-rs`, secrets sealed by `SecretBox`, and the
//! enrolment's QR code drawn as SVG by `qrcode`.

use osp_core::model::TotpEnrolment;
use osp_core::ports::SecondFactor;
use secrecy::ExposeSecret;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::secrets::SecretBox;

const ISSUER: &str = "OS Platforms";
const STEP_SECS: u64 = 30;

pub struct Totp {
    pub secrets: SecretBox,
}

fn totp(bytes: Vec<u8>, account: &str) -> Result<TOTP, String> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS,
        bytes,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .map_err(|e| format!("the TOTP secret is not usable: {e}"))
}

impl SecondFactor for Totp {
    fn new_secret(&self) -> Result<(String, String), String> {
        let secret = Secret::generate_secret();
        let base32 = secret.to_encoded().to_string();
        Ok((self.secrets.seal(&base32), base32))
    }

    fn verify(&self, sealed: &str, code: &str, now_ms: i64) -> Option<i64> {
        let base32 = self.secrets.open(sealed).ok()?;
        let bytes = Secret::Encoded(base32.expose_secret().to_owned())
            .to_bytes()
            .ok()?;
        let totp = totp(bytes, "user").ok()?;
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = u64::try_from(now_ms).ok()? / 1000;
        let step = now / STEP_SECS;
        // This step first, then the one before and after (a clock a little off).
        [step, step.saturating_sub(1), step + 1]
            .into_iter()
            .find(|s| totp.generate(s * STEP_SECS) == code)
            .and_then(|s| i64::try_from(s).ok())
    }

    fn enrolment(&self, base32: &str, username: &str) -> Result<TotpEnrolment, String> {
        let bytes = Secret::Encoded(base32.to_owned())
            .to_bytes()
            .map_err(|e| format!("the TOTP secret is not base32: {e:?}"))?;
        let url = totp(bytes, username)?.get_url();
        let qr = qrcode::QrCode::new(url.as_bytes())
            .map_err(|e| format!("the QR code cannot be made: {e}"))?;
        let qr_svg = qr
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build();
        Ok(TotpEnrolment {
            secret: base32.to_owned(),
            url,
            qr_svg,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_works_in_its_step_and_the_next_and_not_after() {
        let totp_factor = Totp {
            secrets: SecretBox::from_key(&[3; 32]),
        };
        let (sealed, base32) = totp_factor.new_secret().unwrap();
        assert!(!sealed.contains(&base32), "the secret is stored sealed");
        let bytes = Secret::Encoded(base32.clone()).to_bytes().unwrap();
        let at = 1_796_000_000_000_i64;
        let code = totp(bytes, "u").unwrap().generate((at / 1000) as u64);
        let step = (at / 1000) / 30;
        assert_eq!(totp_factor.verify(&sealed, &code, at), Some(step));
        assert_eq!(totp_factor.verify(&sealed, &code, at + 30_000), Some(step));
        assert_eq!(totp_factor.verify(&sealed, &code, at + 90_000), None);
        assert_eq!(totp_factor.verify(&sealed, "12345", at), None);
        assert_eq!(totp_factor.verify(&sealed, "abcdef", at), None);
        let enrolment = totp_factor.enrolment(&base32, "asha").unwrap();
        assert!(
            enrolment
                .url
                .starts_with("otpauth://totp/OS%20Platforms:asha?"),
            "{}",
            enrolment.url
        );
        assert!(enrolment.qr_svg.contains("<svg"));
    }
}
