"""The view's words in English and Bahasa Indonesia: one plain message table per language.

Every string the page shows goes through :func:`t` (a key and named fields,
``str.format`` style), so switching the language is a lookup, not a rebuild of
the text. Why plain tables and not gettext/babel: the view has about two hundred
messages and two languages, its translators read Python dicts as easily as
``.po`` files, and a test can check both tables directly (same keys, same
``{fields}``). See docs/viz.md.

The studies' own terms stay as they are in both languages: agency codes
(DPMPTSP, PUPR, Bapenda, Satpol PP, …), permit names (PBG, SPP-IRT), retribusi,
Perda. Names that come from the scenario files (agencies, workflow stages,
permits, preset descriptions) are data, written in English there; :func:`data`
gives the Indonesian form of the shipped ones and leaves any other as written.
"""

from __future__ import annotations

import string
from typing import Any

__all__ = ["DATA_ID", "LANGS", "MESSAGES", "Message", "data", "fields", "show", "t"]

#: Languages offered, in the order the switch shows them.
LANGS = ("en", "id")

EN: dict[str, str] = {
    # ------------------------------------------------------------ page
    "title": "collabsim — agencies working together",
    "lang.label": "Language",
    "lang.en": "English",
    "lang.id": "Bahasa Indonesia",
    "card.run": "Run",
    "card.controls": "Scenario and controls",
    "card.compare": "Compare two worlds",
    "card.interventions": "Interventions (a change on a day of the run)",
    "card.events": "What happened",
    "card.events_baseline": "What happened — baseline",
    "card.events_variant": "What happened — variant",
    "card.cards": "Before → after the collaboration starts",
    "card.cards_compare": "Baseline vs variant ({window})",
    "card.network": "Agency collaboration network",
    "card.pipeline": "Permit pipeline: {permit}",
    "card.districts": "City districts and checkpoints",
    "card.kpis": "Key figures over time",
    "world.baseline": "Baseline",
    "world.variant": "Variant",
    "explain.lead": "What am I looking at?",
    # ------------------------------------------------------------ run bar
    "run.days_per_step": "days per step",
    "run.play": "▶ Play",
    "run.pause": "❚❚ Pause",
    "run.step": "Step",
    "run.reset": "Reset",
    # ------------------------------------------------------------ controls
    "controls.scenario": "Scenario",
    "controls.variant_scenario": "Variant scenario",
    "controls.starting": "Starting conditions",
    "controls.starting_variant": "Starting conditions of the variant",
    "controls.seed": "Seed",
    "controls.every_agency": "Sets every agency.",
    "seed.not_number": "seed: expected a whole number, got {text}",
    "seed.negative": "seed: must be 0 or more, got {seed}",
    "control.leader_commitment": "Leader commitment",
    "control.resources": "Supporting resources",
    "control.regulation_ready": "Regulation in force",
    "control.facilitative_leadership": "Facilitative leadership",
    "control.communication_openness": "Communication openness",
    "control.joint_stages": "Workflow stages after the start",
    "control.staff_competence": "Staff competence",
    "control.role_clarity": "Role clarity",
    "control.outreach_rate": "Socialisation reach (public information)",
    "control.socialisation_reach": "Socialisation reach (campaigns)",
    # tooltips: the English text is the schema's own description (unit, range, source)
    "help.leader_commitment": "{schema}",
    "help.resources": "{schema}",
    "help.regulation_ready": "{schema}",
    "help.facilitative_leadership": "{schema}",
    "help.communication_openness": "{schema}",
    "help.joint_stages": "{schema}",
    "help.staff_competence": "{schema}",
    "help.role_clarity": "{schema}",
    "help.outreach_rate": "{schema}",
    "help.socialisation_reach": "{schema}",
    # ------------------------------------------------------------ compare
    "compare.switch": "Compare: baseline vs variant",
    "compare.explain": (
        "Switch on to run two worlds in lockstep from the same start, on the same seed (the "
        "same random draws): the **baseline** is the world as it is when you switch on; the "
        "scenario picker, the sliders and the interventions below then set the **variant**. "
        "Step, Play and Reset act on both. Every difference you see comes from what you "
        "changed."),
    "compare.baseline_is": "Baseline: {name}{changes}",
    "compare.variant_is": "Variant: {name}{changes}",
    "compare.as_shipped": " (as shipped)",
    "compare.no_change": "the variant is still the same as the baseline: change something",
    # ------------------------------------------------------------ interventions
    "iv.day": "Day",
    "iv.lever": "Lever",
    "iv.value": "Value",
    "iv.add": "Add",
    "iv.clear": "Remove added",
    "iv.none": "No intervention added yet.",
    "iv.item": "day {day}: {lever} → {value}",
    "iv.bad_number": "value: expected a number, got {text}",
    "iv.bad_switch": "value: expected true or false (1 or 0), got {text}",
    "iv.bad_day": "day: expected a whole number, got {text}",
    "iv.explain": (
        "Pick a day, a lever and its new value, then Add: the run starts again and on that "
        "day the world changes (a regulation passed, a leader replaced, more socialisation). "
        "It is drawn on every chart and written in the log. In compare mode it goes to the "
        "variant only."),
    "lever.officers": "Desk officers of {agency}",
    "lever.regulation": "Regulation in force at {agency}",
    # ------------------------------------------------------------ status line
    "status.day": "Day {day} of {steps}",
    "status.world": "{name}, seed {seed}, {n} citizens",
    "status.before": ("the agencies work <b>separately</b> ({how}); the collaboration "
                      "starts on day {start}, in {left} days"),
    "status.before_letter": "files go by letter",
    "status.before_alone": "each plans alone",
    "status.after": ("the agencies have <b>worked together</b> for {days} days "
                     "(since day {start})"),
    "status.complete": " — run complete: press Reset to run again",
    # ------------------------------------------------------------ cards
    "kpi.applications": "Applications / month",
    "kpi.permits": "Permits issued / month",
    "kpi.backlog": "Backlog (files in process)",
    "kpi.processing": "Processing days (mean)",
    "kpi.levy": "Retribusi ÷ target",
    "kpi.informal": "Informal share",
    "kpi.mobility": "Mobility index",
    "kpi.compliance": "Compliance (restriction days)",
    "kpi.awareness": "Awareness",
    "kpi.gaps": "Checkpoint gaps",
    "kpi.overlaps": "Checkpoint overlaps",
    "kpi.trust": "Trust on ties",
    "card.before": "before the start",
    "card.since": "since the start",
    "card.now": "now {value}",
    "card.na": "n/a",
    "card.na_tip": "undefined: nothing to measure in this window",
    "card.diff": "difference",
    "card.window_since": "since day {start}",
    "card.window_all": "days 0–{day}",
    "card.window_none": "no day simulated yet",
    "card.explain": (
        "Each card compares the average **before** the collaboration started with the average "
        "**since** it started. The arrow is green when the change is good news and red when "
        "it is bad; 'now' is today's value. 'n/a' means there was nothing to measure (say, "
        "no permit issued in the window)."),
    "card.explain_compare": (
        "Each card shows the **baseline**, the **variant** and the difference (variant minus "
        "baseline) over the same days for both worlds: since the collaboration started, or "
        "the whole run before that. Green is a better variant, red a worse one. 'n/a' means "
        "there was nothing to measure in that window."),
    # ------------------------------------------------------------ network
    "net.trust": "trust {value}",
    "net.in_flight": "files in flight",
    "net.commitment": "agency commitment",
    "net.low": "low",
    "net.high": "high",
    "net.on_patrol": "{n} on patrol",
    "explain.network": (
        "Each circle is a government office (agency); each line is their working tie. A thicker "
        "line (and the number on it) means more **trust** between the two. The circle's colour "
        "is the agency's **commitment** to the joint work: red low, green high. Orange dots are "
        "**permit files on their way** from one agency to the next. After the collaboration "
        "starts, every smooth hand-off is a small win that builds trust, and every lost or "
        "stuck file erodes it; commitment follows trust. Before the start, files travel slowly "
        "by letter and trust does not move."),
    "explain.network_mobility": (
        "Each circle is a government office (agency); each line is their working tie. A thicker "
        "line means more **trust** between the two. The circle's colour is the agency's "
        "**commitment** to the joint operation (red low, green high), and next to it is how "
        "many of its officers are at checkpoints today: a committed agency sends more. The "
        "operations centre sits in the middle: once it runs, every contingent that lands where "
        "the centre's plan needs it is a small win for their tie, and one that ends up where "
        "others already stand erodes it. Before the start each agency plans alone."),
    # ------------------------------------------------------------ pipeline
    "pipe.in_flight": "in flight to it",
    "pipe.queued": "queued or being worked",
    "pipe.stalled": "stalled: no regulation",
    "pipe.files": "files",
    "explain.pipeline": (
        "A permit passes through these stages in order, each done by one agency (in brackets). "
        "Each bar counts the files at that stage now: **blue** are queued or being worked on, "
        "**orange** are still on their way from the previous agency, **dark red** are stuck "
        "because the regulation the stage needs (such as the Perda on retribusi) is not in "
        "force. The longest bar is the bottleneck. When the collaboration starts, stages may be "
        "merged into fewer ones (the workflow-stages slider), and facilitative leaders keep "
        "shortening them."),
    "citizens.line": (
        "{needing} citizens have a need and are weighing apply / go informal / wait; "
        "{applied} have a file in process. So far {submitted} applied, {issued} got the "
        "permit, {informal} went informal, {abandoned} gave up on a file."),
    # ------------------------------------------------------------ districts
    "cp.staffed": "staffed as planned",
    "cp.under": "under-staffed",
    "cp.gap": "unstaffed (gap)",
    "cp.overlap": "over-staffed by several agencies (overlap)",
    "cp.stood_down": "stood down",
    "cp.shape": "entry point (▲) / inner (■)",
    "districts.home": "share of residents staying home today",
    "districts.aware": "aware {share}",
    "mob.baseline": "No restrictions yet (baseline).",
    "mob.education": "Restrictions, first days: officers warn and explain, no fines.",
    "mob.enforcement": "Restrictions enforced: violators are fined.",
    "mob.lifted": "Restrictions lifted.",
    "mob.deployment": (" {deployed} of {available} patrol officers at {points} checkpoints: "
                       "{gaps} unstaffed, {overlaps} over-staffed by several agencies, "
                       "{under} under-staffed."),
    "mob.today": (" Today {trips} of {n} citizens travelled; {violations} trips broke the "
                  "rules and {detected} were stopped."),
    "explain.districts": (
        "The city's districts on a rough map, linked by main roads. A bigger circle has more "
        "residents; the **greener** it is, the more of them stay home today. Next to each "
        "district are its checkpoints (triangles: entry points at the city edge; squares: inner "
        "points), coloured by who turned up: **green** staffed as planned, **yellow** short of "
        "officers, **red** nobody there (a gap), **purple** more officers than needed from "
        "several agencies (an overlap: someone else's point is short). An operations centre "
        "that knows every checkpoint and agencies that know their roles make fewer gaps and "
        "overlaps. 'aware' is the share of residents who know the rules; campaigns and word "
        "of mouth raise it."),
    # ------------------------------------------------------------ KPI charts
    "chart.applications": "Applications per month",
    "chart.permits": "Permits issued per month",
    "chart.backlog": "Backlog: files in process (blue), stalled (red)",
    "chart.levy": "Retribusi collected ÷ target (last 30 days)",
    "chart.informal": "Informal share of needs",
    "chart.mobility": "Mobility index (trips ÷ baseline)",
    "chart.compliance": "Compliance",
    "chart.awareness": "Awareness of the rules",
    "chart.checkpoints": "Checkpoints unstaffed (blue), over-staffed (red)",
    "chart.collaboration": "Trust on ties (blue), agency commitment (red)",
    "chart.starts": "collaboration starts",
    "chart.target": "target",
    "chart.day": "day",
    "chart.dashed": "dashed: baseline · solid: variant",
    "explain.kpis": (
        "How the service does, day by day. Applications and permits are counted over the last "
        "30 days, so they read as 'per month'. The **backlog** is the number of files in "
        "process. **Retribusi ÷ target** compares the regional levy collected over the last "
        "30 days with the target for those days (dotted green line = on target). The "
        "**informal share** is how many of the citizens who needed a permit built or produced "
        "without one. **Trust** and **commitment** are averages over the agencies. The dashed "
        "grey line is the day the agencies start working together; purple lines are "
        "interventions. In compare mode the baseline is dashed, the variant solid. A gap in a "
        "line is a day with nothing to measure."),
    "explain.kpis_mobility": (
        "How the operation does, day by day. The **mobility index** is today's trips divided "
        "by a normal day's before the restrictions (1 = as usual, 0.5 = half the trips). "
        "**Compliance** is the share of people bound by the rules who did not break them "
        "today (undefined before the restrictions); **awareness** the share who know the "
        "rules. Unstaffed and over-staffed checkpoints show how well the agencies' deployment "
        "fits together. **Trust** and **commitment** are averages over the agencies. The "
        "dashed grey line is the day the agencies start working together (here, with the "
        "restrictions); purple lines are interventions. In compare mode the baseline is "
        "dashed, the variant solid."),
    "explain.controls": (
        "Pick a scenario, then change the starting conditions the two studies found decisive. "
        "A slider on an agency factor sets it for every agency. Each change restarts the run "
        "from day 0 with the same seed, so any difference you see comes from your change, not "
        "from chance. Change the seed to see another run of the same world."),
    # ------------------------------------------------------------ events
    "events.none": "Nothing has happened yet.",
    "event.collaboration_start": "day {day}: the joint arrangement starts",
    "event.intervention": "day {day}: intervention — {label}",
    "event.files_held": "day {day}: {n} files held at {stage} ({agency}) — no regional regulation",
    "event.officers_hired": "day {day}: {agency} hires {n} officers (in training first)",
    "event.officers_retired": "day {day}: {agency} withdraws {n} officers",
    "event.regulation_in_force": "day {day}: regulation passed — {agency} can act on it",
    "event.other": "day {day}: {kind}",
}

ID: dict[str, str] = {
    "title": "collabsim — instansi bekerja bersama",
    "lang.label": "Bahasa",
    "lang.en": "English",
    "lang.id": "Bahasa Indonesia",
    "card.run": "Jalankan",
    "card.controls": "Skenario dan pengaturan",
    "card.compare": "Bandingkan dua dunia",
    "card.interventions": "Intervensi (perubahan pada satu hari simulasi)",
    "card.events": "Apa yang terjadi",
    "card.events_baseline": "Apa yang terjadi — dasar",
    "card.events_variant": "Apa yang terjadi — varian",
    "card.cards": "Sebelum → sesudah kolaborasi dimulai",
    "card.cards_compare": "Dasar vs varian ({window})",
    "card.network": "Jaringan kolaborasi antarinstansi",
    "card.pipeline": "Alur perizinan: {permit}",
    "card.districts": "Kecamatan dan pos penyekatan",
    "card.kpis": "Angka kunci dari waktu ke waktu",
    "world.baseline": "Dasar",
    "world.variant": "Varian",
    "explain.lead": "Apa yang saya lihat?",
    "run.days_per_step": "hari per langkah",
    "run.play": "▶ Putar",
    "run.pause": "❚❚ Jeda",
    "run.step": "Langkah",
    "run.reset": "Ulang",
    "controls.scenario": "Skenario",
    "controls.variant_scenario": "Skenario varian",
    "controls.starting": "Kondisi awal",
    "controls.starting_variant": "Kondisi awal varian",
    "controls.seed": "Benih acak (seed)",
    "controls.every_agency": "Berlaku untuk semua instansi.",
    "seed.not_number": "seed: harus bilangan bulat, tertulis {text}",
    "seed.negative": "seed: harus 0 atau lebih, tertulis {seed}",
    "control.leader_commitment": "Komitmen pimpinan",
    "control.resources": "Sumber daya pendukung",
    "control.regulation_ready": "Regulasi berlaku",
    "control.facilitative_leadership": "Kepemimpinan fasilitatif",
    "control.communication_openness": "Keterbukaan komunikasi",
    "control.joint_stages": "Jumlah tahap alur setelah dimulai",
    "control.staff_competence": "Kompetensi pegawai",
    "control.role_clarity": "Kejelasan peran",
    "control.outreach_rate": "Jangkauan sosialisasi (informasi publik)",
    "control.socialisation_reach": "Jangkauan sosialisasi (kampanye)",
    "help.leader_commitment": ("Komitmen pimpinan instansi terhadap kerja bersama (0–1): "
                               "seberapa besar pimpinan mendukung, menugaskan dan mengawal."),
    "help.resources": ("Sumber daya pendukung (0–1): anggaran, pegawai dan sarana untuk "
                       "layanan; menentukan jumlah petugas di meja layanan."),
    "help.regulation_ready": ("Apakah regulasi yang dibutuhkan (mis. Perda retribusi PBG) "
                              "sudah berlaku saat kolaborasi dimulai."),
    "help.facilitative_leadership": ("Kepemimpinan fasilitatif (0–1): pimpinan yang "
                                     "mempertemukan mitra, menengahi dan terus memperbaiki "
                                     "alur kerja."),
    "help.communication_openness": ("Keterbukaan komunikasi antarinstansi (0–1): berbagi "
                                    "informasi dan masalah secara terbuka."),
    "help.joint_stages": ("Jumlah tahap alur perizinan setelah kolaborasi dimulai (tahap "
                          "dapat digabung); satuan: tahap."),
    "help.staff_competence": ("Rata-rata kompetensi pegawai (0–1): seberapa cepat dan tepat "
                              "berkas dikerjakan."),
    "help.role_clarity": ("Kejelasan peran (0–1): seberapa jelas setiap instansi tahu pos "
                          "dan tugasnya dalam operasi bersama."),
    "help.outreach_rate": ("Jangkauan sosialisasi (informasi publik): bagian warga per hari "
                           "yang mendapat informasi cara mengurus izin."),
    "help.socialisation_reach": ("Jangkauan kampanye sosialisasi: bagian warga yang "
                                 "dijangkau setiap kampanye."),
    "compare.switch": "Bandingkan: dasar vs varian",
    "compare.explain": (
        "Nyalakan untuk menjalankan dua dunia serentak dari awal yang sama, dengan seed yang "
        "sama (undian acak yang sama): **dasar** adalah dunia seperti saat Anda menyalakannya; "
        "pemilih skenario, slider dan intervensi di bawah lalu mengatur **varian**. Langkah, "
        "Putar dan Ulang berlaku untuk keduanya. Setiap perbedaan yang terlihat berasal dari "
        "yang Anda ubah."),
    "compare.baseline_is": "Dasar: {name}{changes}",
    "compare.variant_is": "Varian: {name}{changes}",
    "compare.as_shipped": " (seperti bawaan)",
    "compare.no_change": "varian masih sama dengan dasar: ubahlah sesuatu",
    "iv.day": "Hari",
    "iv.lever": "Tuas kebijakan",
    "iv.value": "Nilai",
    "iv.add": "Tambah",
    "iv.clear": "Hapus tambahan",
    "iv.none": "Belum ada intervensi yang ditambahkan.",
    "iv.item": "hari {day}: {lever} → {value}",
    "iv.bad_number": "nilai: harus berupa angka, tertulis {text}",
    "iv.bad_switch": "nilai: harus true atau false (1 atau 0), tertulis {text}",
    "iv.bad_day": "hari: harus bilangan bulat, tertulis {text}",
    "iv.explain": (
        "Pilih hari, tuas kebijakan dan nilai barunya, lalu Tambah: simulasi dimulai lagi dan "
        "pada hari itu dunia berubah (regulasi disahkan, pimpinan diganti, sosialisasi "
        "ditambah). Perubahan itu digambar di setiap grafik dan dicatat di log. Dalam mode "
        "perbandingan, intervensi hanya berlaku untuk varian."),
    "lever.officers": "Petugas meja layanan {agency}",
    "lever.regulation": "Regulasi berlaku di {agency}",
    "status.day": "Hari {day} dari {steps}",
    "status.world": "{name}, seed {seed}, {n} warga",
    "status.before": ("instansi bekerja <b>sendiri-sendiri</b> ({how}); kolaborasi dimulai "
                      "pada hari {start}, {left} hari lagi"),
    "status.before_letter": "berkas dikirim lewat surat",
    "status.before_alone": "masing-masing merencanakan sendiri",
    "status.after": ("instansi sudah <b>bekerja bersama</b> selama {days} hari "
                     "(sejak hari {start})"),
    "status.complete": " — simulasi selesai: tekan Ulang untuk menjalankan lagi",
    "kpi.applications": "Permohonan / bulan",
    "kpi.permits": "Izin terbit / bulan",
    "kpi.backlog": "Tunggakan (berkas dalam proses)",
    "kpi.processing": "Lama proses (hari, rata-rata)",
    "kpi.levy": "Retribusi ÷ target",
    "kpi.informal": "Bagian informal",
    "kpi.mobility": "Indeks mobilitas",
    "kpi.compliance": "Kepatuhan (hari pembatasan)",
    "kpi.awareness": "Kesadaran aturan",
    "kpi.gaps": "Pos kosong",
    "kpi.overlaps": "Pos tumpang tindih",
    "kpi.trust": "Kepercayaan antarinstansi",
    "card.before": "sebelum dimulai",
    "card.since": "sejak dimulai",
    "card.now": "kini {value}",
    "card.na": "t/a",
    "card.na_tip": "tidak terdefinisi: tidak ada yang diukur pada rentang ini",
    "card.diff": "selisih",
    "card.window_since": "sejak hari {start}",
    "card.window_all": "hari 0–{day}",
    "card.window_none": "belum ada hari yang disimulasikan",
    "card.explain": (
        "Setiap kartu membandingkan rata-rata **sebelum** kolaborasi dimulai dengan rata-rata "
        "**sejak** dimulai. Panah hijau berarti perubahan yang baik, merah yang buruk; 'kini' "
        "adalah nilai hari ini. 't/a' (tidak ada) berarti tidak ada yang bisa diukur (misalnya "
        "tidak ada izin terbit pada rentang itu)."),
    "card.explain_compare": (
        "Setiap kartu menunjukkan **dasar**, **varian** dan selisihnya (varian dikurangi dasar) "
        "pada hari-hari yang sama untuk kedua dunia: sejak kolaborasi dimulai, atau seluruh "
        "simulasi sebelum itu. Hijau berarti varian lebih baik, merah lebih buruk. 't/a' "
        "berarti tidak ada yang bisa diukur pada rentang itu."),
    "net.trust": "kepercayaan {value}",
    "net.in_flight": "berkas dalam perjalanan",
    "net.commitment": "komitmen instansi",
    "net.low": "rendah",
    "net.high": "tinggi",
    "net.on_patrol": "{n} berjaga",
    "explain.network": (
        "Setiap lingkaran adalah kantor pemerintah (instansi); setiap garis adalah hubungan "
        "kerjanya. Garis yang lebih tebal (dan angkanya) berarti **kepercayaan** yang lebih "
        "besar di antara keduanya. Warna lingkaran adalah **komitmen** instansi pada kerja "
        "bersama: merah rendah, hijau tinggi. Titik oranye adalah **berkas izin yang sedang "
        "dikirim** dari satu instansi ke instansi berikutnya. Setelah kolaborasi dimulai, "
        "setiap serah terima yang lancar adalah keberhasilan kecil yang membangun kepercayaan, "
        "dan setiap berkas yang hilang atau macet mengikisnya; komitmen mengikuti kepercayaan. "
        "Sebelum dimulai, berkas berjalan lambat lewat surat dan kepercayaan tidak bergerak."),
    "explain.network_mobility": (
        "Setiap lingkaran adalah kantor pemerintah (instansi); setiap garis adalah hubungan "
        "kerjanya. Garis yang lebih tebal berarti **kepercayaan** yang lebih besar. Warna "
        "lingkaran adalah **komitmen** instansi pada operasi bersama (merah rendah, hijau "
        "tinggi), dan di sampingnya jumlah petugasnya yang berjaga di pos hari ini: instansi "
        "yang berkomitmen mengirim lebih banyak. Pusat operasi (JCOC) ada di tengah: setelah "
        "berjalan, setiap regu yang tiba di pos yang dibutuhkan rencana pusat adalah "
        "keberhasilan kecil bagi hubungan mereka, dan regu yang tiba di pos yang sudah dijaga "
        "pihak lain mengikisnya. Sebelum dimulai setiap instansi merencanakan sendiri."),
    "pipe.in_flight": "dalam perjalanan ke tahap ini",
    "pipe.queued": "antre atau sedang dikerjakan",
    "pipe.stalled": "tertahan: belum ada regulasi",
    "pipe.files": "berkas",
    "explain.pipeline": (
        "Izin melewati tahap-tahap ini berurutan, masing-masing dikerjakan satu instansi (dalam "
        "kurung). Setiap batang menghitung berkas di tahap itu sekarang: **biru** antre atau "
        "sedang dikerjakan, **oranye** masih dalam perjalanan dari instansi sebelumnya, "
        "**merah tua** tertahan karena regulasi yang dibutuhkan tahap itu (seperti Perda "
        "retribusi) belum berlaku. Batang terpanjang adalah titik macet. Saat kolaborasi "
        "dimulai, tahap dapat digabung menjadi lebih sedikit (slider jumlah tahap), dan "
        "pimpinan yang fasilitatif terus mempersingkatnya."),
    "citizens.line": (
        "{needing} warga punya kebutuhan dan menimbang: mengajukan / jalur informal / menunggu; "
        "{applied} punya berkas dalam proses. Sejauh ini {submitted} mengajukan, {issued} "
        "mendapat izin, {informal} memilih jalur informal, {abandoned} menyerah pada berkasnya."),
    "cp.staffed": "terjaga sesuai rencana",
    "cp.under": "kurang petugas",
    "cp.gap": "kosong (celah)",
    "cp.overlap": "tumpang tindih (beberapa instansi)",
    "cp.stood_down": "tidak aktif",
    "cp.shape": "pos masuk (▲) / dalam kota (■)",
    "districts.home": "bagian warga yang tinggal di rumah hari ini",
    "districts.aware": "sadar {share}",
    "mob.baseline": "Belum ada pembatasan (kondisi dasar).",
    "mob.education": "Hari-hari awal pembatasan: petugas menegur dan menjelaskan, tanpa denda.",
    "mob.enforcement": "Pembatasan ditegakkan: pelanggar didenda.",
    "mob.lifted": "Pembatasan dicabut.",
    "mob.deployment": (" {deployed} dari {available} petugas berjaga di {points} pos: "
                       "{gaps} kosong, {overlaps} kelebihan petugas dari beberapa instansi, "
                       "{under} kurang petugas."),
    "mob.today": (" Hari ini {trips} dari {n} warga bepergian; {violations} perjalanan "
                  "melanggar aturan dan {detected} dihentikan."),
    "explain.districts": (
        "Kecamatan di kota pada peta kasar, dihubungkan jalan utama. Lingkaran yang lebih besar "
        "berpenduduk lebih banyak; makin **hijau**, makin banyak yang tinggal di rumah hari "
        "ini. Di samping setiap kecamatan ada pos penyekatannya (segitiga: pos masuk di batas "
        "kota; kotak: pos dalam kota), diwarnai menurut siapa yang datang: **hijau** terjaga "
        "sesuai rencana, **kuning** kurang petugas, **merah** tidak ada yang berjaga (celah), "
        "**ungu** kelebihan petugas dari beberapa instansi (tumpang tindih: pos lain "
        "kekurangan). Pusat operasi yang mengenal setiap pos dan instansi yang tahu perannya "
        "membuat lebih sedikit celah dan tumpang tindih. 'sadar' adalah bagian warga yang tahu "
        "aturannya; kampanye dan cerita dari mulut ke mulut menaikkannya."),
    "chart.applications": "Permohonan per bulan",
    "chart.permits": "Izin terbit per bulan",
    "chart.backlog": "Tunggakan: berkas dalam proses (biru), tertahan (merah)",
    "chart.levy": "Retribusi terkumpul ÷ target (30 hari terakhir)",
    "chart.informal": "Bagian kebutuhan lewat jalur informal",
    "chart.mobility": "Indeks mobilitas (perjalanan ÷ kondisi dasar)",
    "chart.compliance": "Kepatuhan",
    "chart.awareness": "Kesadaran akan aturan",
    "chart.checkpoints": "Pos kosong (biru), kelebihan petugas (merah)",
    "chart.collaboration": "Kepercayaan (biru), komitmen instansi (merah)",
    "chart.starts": "kolaborasi dimulai",
    "chart.target": "target",
    "chart.day": "hari",
    "chart.dashed": "putus-putus: dasar · utuh: varian",
    "explain.kpis": (
        "Kinerja layanan dari hari ke hari. Permohonan dan izin dihitung selama 30 hari "
        "terakhir, jadi terbaca sebagai 'per bulan'. **Tunggakan** adalah jumlah berkas dalam "
        "proses. **Retribusi ÷ target** membandingkan retribusi daerah yang terkumpul dalam 30 "
        "hari terakhir dengan target untuk hari-hari itu (garis hijau titik-titik = sesuai "
        "target). **Bagian informal** adalah berapa banyak warga yang butuh izin tetapi "
        "membangun atau berproduksi tanpa izin. **Kepercayaan** dan **komitmen** adalah "
        "rata-rata antarinstansi. Garis abu-abu putus-putus adalah hari instansi mulai bekerja "
        "bersama; garis ungu adalah intervensi. Dalam mode perbandingan, dasar digambar "
        "putus-putus dan varian utuh. Garis yang terputus adalah hari tanpa ukuran."),
    "explain.kpis_mobility": (
        "Kinerja operasi dari hari ke hari. **Indeks mobilitas** adalah jumlah perjalanan hari "
        "ini dibagi perjalanan hari biasa sebelum pembatasan (1 = seperti biasa, 0,5 = "
        "separuhnya). **Kepatuhan** adalah bagian orang yang terikat aturan dan tidak "
        "melanggarnya hari ini (tidak terdefinisi sebelum pembatasan); **kesadaran** bagian "
        "yang tahu aturannya. Pos kosong dan kelebihan petugas menunjukkan seberapa padu "
        "penempatan petugas antarinstansi. **Kepercayaan** dan **komitmen** adalah rata-rata "
        "antarinstansi. Garis abu-abu putus-putus adalah hari instansi mulai bekerja bersama "
        "(di sini, bersamaan dengan pembatasan); garis ungu adalah intervensi. Dalam mode "
        "perbandingan, dasar digambar putus-putus dan varian utuh."),
    "explain.controls": (
        "Pilih skenario, lalu ubah kondisi awal yang menurut kedua penelitian menentukan. "
        "Slider faktor instansi berlaku untuk semua instansi. Setiap perubahan memulai simulasi "
        "lagi dari hari 0 dengan seed yang sama, jadi setiap perbedaan berasal dari perubahan "
        "Anda, bukan dari kebetulan. Ganti seed untuk melihat jalannya dunia yang sama dengan "
        "undian lain."),
    "events.none": "Belum ada kejadian.",
    "event.collaboration_start": "hari {day}: pengaturan kerja bersama dimulai",
    "event.intervention": "hari {day}: intervensi — {label}",
    "event.files_held": "hari {day}: {n} berkas tertahan di {stage} ({agency}) — belum ada Perda",
    "event.officers_hired": "hari {day}: {agency} merekrut {n} petugas (dilatih dulu)",
    "event.officers_retired": "hari {day}: {agency} menarik {n} petugas",
    "event.regulation_in_force": "hari {day}: regulasi disahkan — {agency} dapat menjalankannya",
    "event.other": "hari {day}: {kind}",
}

MESSAGES: dict[str, dict[str, str]] = {"en": EN, "id": ID}

#: Indonesian forms of names the shipped scenario files write in English (agencies,
#: workflow stages, permits, descriptions). Anything else is shown as written.
DATA_ID: dict[str, str] = {
    "Civil-service police (Satpol PP)": "Satuan Polisi Pamong Praja (Satpol PP)",
    "Communications/IT (Diskominfo) — JCOC": "Dinas Komunikasi dan Informatika (Diskominfo) "
                                             "— JCOC",
    "Disaster management (BPBD)": "Badan Penanggulangan Bencana Daerah (BPBD)",
    "District and ward heads (camat, lurah)": "Camat dan lurah",
    "Health office (Dinkes)": "Dinas Kesehatan (Dinkes)",
    "Military (TNI)": "TNI",
    "One-stop licensing office (DPMPTSP)": "Dinas Penanaman Modal dan PTSP (DPMPTSP)",
    "One-stop licensing office (DPMPTSP, via OSS)": "Dinas Penanaman Modal dan PTSP "
                                                    "(DPMPTSP, lewat OSS)",
    "Police (Polresta, traffic unit)": "Polresta (Satlantas)",
    "Public Works (PUPR) with the expert team (TPA/TPT)": "Dinas PUPR dengan tim ahli (TPA/TPT)",
    "Revenue agency (Bapenda/BPPRD)": "Badan Pendapatan Daerah (Bapenda/BPPRD)",
    "Transport (Dishub)": "Dinas Perhubungan (Dishub)",
    "certificate issuance": "penerbitan sertifikat",
    "facility inspection": "pemeriksaan sarana",
    "food-safety counselling": "penyuluhan keamanan pangan",
    "issuance": "penerbitan",
    "levy assessment": "penetapan retribusi",
    "levy payment": "pembayaran retribusi",
    "online registration": "pendaftaran daring",
    "registration": "pendaftaran",
    "technical consultation": "konsultasi teknis",
    "validation": "validasi",
    "PBG building approval": "PBG (Persetujuan Bangunan Gedung)",
    "SPP-IRT food production certificate": "SPP-IRT (Sertifikat Produksi Pangan Industri "
                                           "Rumah Tangga)",
    "Agencies on their own with unclear roles; no operations centre.": (
        "Instansi bekerja sendiri-sendiri dengan peran yang tidak jelas; tanpa pusat operasi."),
    "Building approval moved to a joint arrangement without its initial conditions: low "
    "leader commitment, thin resources, no regional levy regulation.": (
        "Persetujuan bangunan dipindahkan ke pengaturan kerja bersama tanpa kondisi awalnya: "
        "komitmen pimpinan rendah, sumber daya tipis, belum ada Perda retribusi."),
    "Food-production certificate delivered jointly by the licensing office and the health "
    "office: committed, facilitative leaders, open communication, simple workflow, trained "
    "staff.": (
        "Sertifikat produksi pangan dilayani bersama oleh DPMPTSP dan Dinas Kesehatan: "
        "pimpinan berkomitmen dan fasilitatif, komunikasi terbuka, alur sederhana, pegawai "
        "terlatih."),
    "PBG with leader commitment, resources and the levy regulation prepared (DESIGN §3 "
    "fact 3).": ("PBG dengan komitmen pimpinan, sumber daya dan Perda retribusi yang "
                 "disiapkan."),
    "Restrictions run from an operations centre with clear roles, committed partners and "
    "socialisation through media and district heads.": (
        "Pembatasan dijalankan dari pusat operasi dengan peran yang jelas, mitra yang "
        "berkomitmen dan sosialisasi lewat media serta camat."),
    "The collaborative operations centre, but no public information campaigns.": (
        "Pusat operasi kolaboratif, tetapi tanpa kampanye informasi publik."),
}


def t(lang: str, key: str, **kw: Any) -> str:
    """The message ``key`` in ``lang``, its ``{fields}`` filled from ``kw``.

    Raises:
        KeyError: for a key neither table has (a typo fails loudly, in tests too).
    """
    table = MESSAGES.get(lang, EN)
    text = table[key] if key in table else EN[key]
    return text.format(**kw) if kw else text


def data(lang: str, text: str) -> str:
    """A name or description from a scenario file, in ``lang`` where it is known."""
    return DATA_ID.get(text, text) if lang == "id" else text


def fields(text: str) -> set[str]:
    """The ``{fields}`` a message fills in."""
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


class Message(str):
    """A message to show later, in whichever language the page is in then.

    It reads as its English text (so logs and tests see words); :meth:`text`
    gives it in another language.
    """

    key: str
    kw: dict[str, Any]

    def __new__(cls, key: str, **kw: Any) -> Message:
        """The message ``key`` with its fields."""
        obj = super().__new__(cls, t("en", key, **kw))
        obj.key, obj.kw = key, kw
        return obj

    def text(self, lang: str) -> str:
        """The message in ``lang``."""
        return t(lang, self.key, **self.kw)


def show(lang: str, text: str) -> str:
    """A :class:`Message` in ``lang``; any other text (the schema's own words) as it is."""
    return text.text(lang) if isinstance(text, Message) else text
