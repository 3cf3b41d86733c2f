"""The report's words in Bahasa Indonesia and English: plain words a principal reads, never
internal ids ("info_bk"), fractions for weights ("2/3") or statistics jargon ("p90")."""

from __future__ import annotations

from bot.reports.figures import SMALL

LABELS = {
    "id": {
        "title": "Laporan program Sebaya", "period": "Periode", "school": "Sekolah",
        "generated": "Dibuat",
        "synthetic": "DATA CONTOH — bukan data siswa sungguhan (sebaya demo --seed-data)",
        "synthetic_mark": "DATA CONTOH",
        "note": f"Angka di bawah {SMALL} ditulis \"<{SMALL}\". Supaya angka kecil juga tidak bisa "
                "dihitung dari total, kadang satu angka lagi ikut disamarkan: sebagai \"<5\" "
                "(juga bila angkanya 0) atau sebagai rentang seperti \"5–9\". Rata-rata dan "
                f"median hanya dihitung dari minimal {SMALL} data. Dengan begitu tidak ada siswa "
                "yang bisa dikenali.",
        "summary": "Ringkasan", "overview": "Angka utama", "weeks": "Kasus per minggu",
        "topics": "Kasus per topik", "weights": "Kasus per tingkat berat", "crisis": "Krisis",
        "peers": "Beban konselor sebaya", "satisfaction": "Kepuasan siswa (nilai 1–5)",
        "services": "Layanan lain",
        "cases": "Kasus", "peer": "Ke konselor sebaya", "counselor": "Ke guru BK",
        "crisis_route": "Krisis", "crisis_cases": "Kasus krisis (peringatan ke guru BK)",
        "ack_half": "Separuh peringatan krisis diakui dalam",
        "ack_most": "90% peringatan krisis diakui dalam", "unacknowledged": "Krisis belum diakui",
        "reply_half": "Separuh kasus dibalas dalam", "reply_most": "90% kasus dibalas dalam",
        "unanswered": "Ditutup tanpa balasan staf", "dead_letters": "Pesan gagal terkirim",
        "surveys": "Jumlah penilaian", "mean": "Rata-rata",
        "mean_satisfaction": "Rata-rata kepuasan siswa", "out_of_5": "dari 5",
        "selfhelp": "Latihan mandiri (semua)", "info": "Informasi",
        "appointments": "Permintaan janji temu", "confirmed": "Janji temu dikonfirmasi",
        "groups": "Pendaftaran sesi kelompok", "week": "Minggu mulai", "count": "Jumlah",
        "measure": "Ukuran", "value": "Nilai", "topic": "Topik", "weight": "Tingkat berat",
        "score": "Nilai", "ratings": "Penilaian", "service": "Layanan",
        "peer_name": "Konselor sebaya", "now": "Periode ini", "before": "Periode sebelumnya",
        "minutes": "menit", "weight_names": ("Ringan", "Lumayan", "Berat"),
        "score_names": ("1 (sangat kurang)", "2", "3", "4", "5 (sangat baik)"),
        "chart_weeks": "Kasus per minggu, menurut jalur", "chart_scores": "Kepuasan siswa",
        "chart_services": "Penggunaan layanan", "na": "-", "hidden": "disamarkan (angka kecil)",
        "empty": "Belum ada data pada periode ini",
        "partial": "* Minggu ini hanya sebagian masuk periode laporan, jadi harinya lebih sedikit.",
        "angket": "Angket", "question": "Pertanyaan", "area": "Bidang", "answers": "Jawaban",
        "answered": "Menjawab", "yes_no": {"ya": "ya", "tidak": "tidak"},
        "areas": {"pribadi": "Pribadi", "sosial": "Sosial", "belajar": "Belajar",
                  "karier": "Karier"},
        "angket_few": f"Kurang dari {SMALL} siswa menjawab: hasilnya belum ditampilkan.",
        "angket_note": "Jawaban angket tidak terhubung dengan siswa atau kasus mana pun.",
        "programme": "Program konselor sebaya",
        "peers_trained": "Konselor sebaya lulus pelatihan (saat ini)",
        "peers_approved": "Disetujui guru BK untuk bertugas (saat ini)",
        "trainings_passed": "Lulus pelatihan pada periode ini",
        "approvals": "Disetujui pada periode ini",
        "tppk_notified": "Pemberitahuan ke TPPK", "total": "Jumlah",
        "coaching": "Pendampingan pesan konselor sebaya, per minggu",
        "coaching_kinds": {"identity": "Identitas", "contact": "Kontak",
                           "directive": "Menyuruh", "minimising": "Meremehkan",
                           "secrecy": "Rahasia", "concern": "Khawatir"},
        "coaching_note": "Berapa kali pesan konselor sebaya ditahan atau diberi saran sebelum "
                         "sampai ke siswa, menurut alasannya: menanyakan identitas siswa, data "
                         "kontak, menyuruh atau menasihati, meremehkan, menjanjikan rahasia "
                         "padahal ada tanda bahaya, dan kekhawatiran siswa yang naik (hanya "
                         "jumlah, bukan isi pesan).",
        "coverage": "Cakupan shift konselor sebaya, per minggu",
        "shift_planned": "Jam shift terjadwal", "shift_held": "Jam shift diambil",
        "shift_covered": "Jam shift terisi", "shift_no_shows": "Tidak datang",
        "coverage_note": "Terjadwal: jam shift menurut jadwal yang berlaku sekarang (sampai "
                         "saat laporan dibuat). Diambil: ada konselor sebaya yang memegang "
                         "shift itu. Terisi: ada yang benar-benar bertugas (/onduty sampai "
                         "/offduty atau akhir shift). Angka ini tentang staf, bukan siswa, "
                         "jadi tidak disamarkan; nama tidak ditampilkan di laporan.",
        "checkins": "Check-in konselor sebaya setelah kasus berat",
        "answer": "Jawaban",
        "checkin_answers": {"ok": "Baik-baik saja", "heavy": "Agak berat",
                            "talk": "Ingin ngobrol dengan guru BK"},
        "checkins_note": "Hanya jumlah jawaban, tanpa nama dan tanpa kasus; angka kecil "
                         "disamarkan.",
    },
    "en": {
        "title": "Sebaya programme report", "period": "Period", "school": "School",
        "generated": "Generated",
        "synthetic": "SAMPLE DATA — not real students (sebaya demo --seed-data)",
        "synthetic_mark": "SAMPLE DATA",
        "note": f"Counts under {SMALL} are written \"<{SMALL}\". So that a small count cannot be "
                "worked out from a total either, sometimes one more count is hidden: as \"<5\" "
                "(a 0 too) or as a range such as \"5–9\". Means and medians need at least "
                f"{SMALL} data points. So no student can be singled out.",
        "summary": "Summary", "overview": "Key figures", "weeks": "Cases per week",
        "topics": "Cases by topic", "weights": "Cases by how heavy it felt", "crisis": "Crisis",
        "peers": "Peer supporter workload", "satisfaction": "Student satisfaction (1–5)",
        "services": "Other services",
        "cases": "Cases", "peer": "To peer supporters", "counselor": "To the counselor",
        "crisis_route": "Crisis", "crisis_cases": "Crisis cases (counselor alerts)",
        "ack_half": "Half of crisis alerts acknowledged within",
        "ack_most": "90% of crisis alerts acknowledged within",
        "unacknowledged": "Crisis alerts not acknowledged",
        "reply_half": "Half of cases answered within", "reply_most": "90% of cases answered within",
        "unanswered": "Closed without a staff reply", "dead_letters": "Messages not delivered",
        "surveys": "Ratings", "mean": "Mean",
        "mean_satisfaction": "Mean student satisfaction", "out_of_5": "out of 5",
        "selfhelp": "Self-help exercises (all)", "info": "Information",
        "appointments": "Appointment requests", "confirmed": "Appointments confirmed",
        "groups": "Group session sign-ups", "week": "Week starting", "count": "Count",
        "measure": "Measure", "value": "Value", "topic": "Topic", "weight": "How heavy",
        "score": "Score", "ratings": "Ratings", "service": "Service",
        "peer_name": "Peer supporter", "now": "This period", "before": "Previous period",
        "minutes": "min", "weight_names": ("Light", "Moderate", "Heavy"),
        "score_names": ("1 (very poor)", "2", "3", "4", "5 (very good)"),
        "chart_weeks": "Cases per week, by route", "chart_scores": "Student satisfaction",
        "chart_services": "Use of services", "na": "-", "hidden": "hidden (small counts)",
        "empty": "No data in this period",
        "partial": "* Only part of this week falls in the report's period: fewer days.",
        "angket": "Survey", "question": "Question", "area": "Area", "answers": "Answers",
        "answered": "Answered", "yes_no": {"ya": "yes", "tidak": "no"},
        "areas": {"pribadi": "Personal", "sosial": "Social", "belajar": "Learning",
                  "karier": "Career"},
        "angket_few": f"Fewer than {SMALL} students answered: no results are shown yet.",
        "angket_note": "Survey answers are not linked to any student or case.",
        "programme": "Peer supporter programme",
        "peers_trained": "Peer supporters who passed training (now)",
        "peers_approved": "Approved by the counselor to serve (now)",
        "trainings_passed": "Passed training in this period",
        "approvals": "Approved in this period",
        "tppk_notified": "TPPK notifications", "total": "Total",
        "coaching": "Coaching of peer supporters' messages, per week",
        "coaching_kinds": {"identity": "Identity", "contact": "Contact",
                           "directive": "Directive", "minimising": "Minimising",
                           "secrecy": "Secrecy", "concern": "Concern"},
        "coaching_note": "How often a peer supporter's message was held back or given a tip "
                         "before reaching the student, by reason: asking who the student is, "
                         "contact details, telling them what to do, minimising, promising "
                         "secrecy despite danger signs, and the student's rising concern "
                         "(counts only, never the message).",
        "coverage": "Peer supporters' shift coverage, per week",
        "shift_planned": "Shift hours planned", "shift_held": "Shift hours taken",
        "shift_covered": "Shift hours covered", "shift_no_shows": "No-shows",
        "coverage_note": "Planned: shift hours on the roster in use now (up to when the "
                         "report was made). Taken: a peer supporter held the shift. Covered: "
                         "someone was actually on duty (/onduty to /offduty or the shift's "
                         "end). These figures are about staff, not students, so they are not "
                         "hidden; no names appear in the report.",
        "checkins": "Peer supporters' check-ins after a heavy case",
        "answer": "Answer",
        "checkin_answers": {"ok": "Fine", "heavy": "A bit heavy",
                            "talk": "Would like to talk to the counselor"},
        "checkins_note": "Counts of answers only, no names and no cases; small counts are "
                         "hidden.",
    },
}


def labels(lang: str) -> dict:
    """The words of one language (Indonesian when the language is unknown)."""
    return LABELS.get(lang, LABELS["id"])
